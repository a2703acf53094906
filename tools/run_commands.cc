// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/run_commands.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "runtime/container.h"
#include "runtime/spec.h"
#include "tools/output.h"
#include "tools/signal_forwarder.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;

// The runtime over ctx's root. "sn" (may be null) removes owned scratches.
std::unique_ptr<runtime::Runtime> OpenRuntime(const CliContext& ctx,
                                              snapshotter::Snapshotter* sn) {
  runtime::RuntimeOptions o;
  o.root = Check(ctx.AbsoluteRoot());
  o.snapshotter = sn;
  return Check(runtime::Runtime::Open(o));
}

using Source = runtime::ConfigSource;

void AddSourceOptions(CLI::App* c, Source* s) {
  auto* cfg = c->add_option("--config,-c", s->config,
                            "OCI config.json to run (e.g. from snapctl spec)");
  auto* img = c->add_option(
      "--image,-i", s->image,
      "Imported image: a scratch snapshot is prepared on its top layer and "
      "removed with the container");
  auto* snap = c->add_option("--snapshot,-s", s->snapshot,
                             "Active snapshot to use as scratch (kept)");
  cfg->excludes(img)->excludes(snap);
  img->excludes(snap);
  c->add_option("--env,-e", s->env, "Extra environment K=V (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("--cwd", s->cwd, "Working directory");
}

// Fails on what can be checked before the store is opened.
void CheckArgs(const Source& s, const std::string& id) {
  Check(runtime::ValidateId(id));
  if (s.config.empty() && s.image.empty() && s.snapshot.empty()) {
    Fail(InvalidArgumentError(
        "give --config FILE, --image REF or --snapshot KEY (see --help)"));
  }
}

// Creates container "id"; on failure removes the scratch it prepared.
void CreateContainer(snapshotter::Snapshotter& sn, runtime::Runtime& rt,
                     const Source& s, const std::string& id) {
  Check(runtime::ValidateId(id));
  runtime::PreparedConfig p =
      Check(runtime::PrepareConfig(sn, *base::Env::Default(), s, id));
  Status st = rt.Create(id, p.config_json, p.owned_key);
  if (!st.ok()) {
    if (!p.owned_key.empty()) sn.Remove(p.owned_key).IgnoreError();
    Fail(st);
  }
}

// What a terminate request to a waiting `run` does: `kill ID TERM`, with
// a Runtime of its own (the main thread's is busy waiting). A request that
// comes while the container is still "created" (the main thread is about
// to start it) is retried until it runs, for up to 10 s, so it is not lost.
std::function<void()> ForwardTerm(const CliContext& ctx,
                                  const std::string& id) {
  StatusOr<std::string> abs = ctx.AbsoluteRoot();
  std::string root = abs.ok() ? *abs : ctx.root;
  return [root, id] {
    runtime::RuntimeOptions o;
    o.root = root;
    StatusOr<std::unique_ptr<runtime::Runtime>> rt = runtime::Runtime::Open(o);
    Status s = rt.status();
    for (int attempt = 0; rt.ok(); ++attempt) {
      s = (*rt)->Kill(id, "TERM");
      if (s.ok() || attempt == 200) break;
      StatusOr<runtime::ContainerState> state = (*rt)->State(id);
      if (!state.ok() || state->status != "created") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!s.ok())
      std::cerr << "snapctl: forwarding a terminate request: " << s.message()
                << "\n";
  };
}

void Exit(int code) {
  std::cout.flush();
  if (code != 0) throw CLI::RuntimeError(code);
}

void RegisterRun(CLI::App& app, CliContext& ctx) {
  struct Args {
    Source source;
    std::string id;
    bool rm = false, detach = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "run",
      "Create and start a container, wait for it and exit with its exit "
      "code.\n"
      "Examples:\n"
      "  snapctl run --rm --image example.com/busybox:1 t1 -- echo hello\n"
      "  snapctl run -d --image example.com/busybox:1 web -- sleep 1000\n"
      "  snapctl prepare --mounts my-test sha256:<chainID>\n"
      "  snapctl spec --snapshot my-test > config.json\n"
      "  snapctl run --config config.json my-container");
  AddSourceOptions(c, &a->source);
  c->add_flag("--rm", a->rm,
              "Delete the container (and the scratch it prepared) when it "
              "exits");
  c->add_flag("--detach,-d", a->detach,
              "Start in the background (output in <bundle>/init.log); "
              "prints the id");
  c->add_option("id", a->id, "Container id ([A-Za-z0-9_.-], max 64)")
      ->required();
  c->add_option("args", a->source.args, "Command and arguments (after --)");
  c->callback([&ctx, a] {
    if (a->rm && a->detach) {
      Fail(InvalidArgumentError(
          "--rm and -d cannot be combined (nobody waits to remove it); "
          "use snapctl delete"));
    }
    CheckArgs(a->source, a->id);
    auto sn = Check(ctx.Open(/*read_only=*/false));
    auto rt = OpenRuntime(ctx, sn.get());
    CreateContainer(*sn, *rt, a->source, a->id);
    StatusOr<int> code = 0;
    if (a->detach) {
      code = rt->Start(a->id, /*wait=*/false);
    } else {
      SignalForwarder forward(ForwardTerm(ctx, a->id));
      code = rt->Start(a->id, /*wait=*/true);
    }
    // A container that failed to start is removed whatever --rm says:
    // nothing of a failed run stays behind.
    if (a->rm || !code.ok()) {
      Status d = rt->Delete(a->id, /*force=*/true);
      if (!d.ok() && code.ok()) Fail(d);
    }
    int exit_code = Check(std::move(code));
    if (a->detach) std::cout << a->id << "\n";
    Exit(exit_code);
  });
}

void RegisterCreate(CLI::App& app, CliContext& ctx) {
  struct Args {
    Source source;
    std::string id;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "create",
      "Create a container (scratch mounted, not started); see run for the "
      "sources.\n"
      "Example: snapctl create --image example.com/busybox:1 c1 -- sleep 60 "
      "&& snapctl start c1");
  AddSourceOptions(c, &a->source);
  c->add_option("id", a->id, "Container id")->required();
  c->add_option("args", a->source.args, "Command and arguments (after --)");
  c->callback([&ctx, a] {
    CheckArgs(a->source, a->id);
    auto sn = Check(ctx.Open(/*read_only=*/false));
    auto rt = OpenRuntime(ctx, sn.get());
    CreateContainer(*sn, *rt, a->source, a->id);
  });
}

void RegisterStart(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string id;
    bool attach = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "start",
      "Start a created container in the background (output in "
      "<bundle>/init.log).\n"
      "With --attach, wait for it and exit with its exit code.\n"
      "Example: snapctl start c1 && snapctl state c1");
  c->add_option("id", a->id, "Container id")->required();
  c->add_flag("--attach,-a", a->attach,
              "Wire stdio through and wait for the container");
  c->callback([&ctx, a] {
    auto rt = OpenRuntime(ctx, nullptr);
    if (!a->attach) {
      Check(rt->Start(a->id, /*wait=*/false).status());
      return;
    }
    StatusOr<int> code = 0;
    {
      SignalForwarder forward(ForwardTerm(ctx, a->id));
      code = rt->Start(a->id, /*wait=*/true);
    }
    Exit(Check(std::move(code)));
  });
}

void RegisterExec(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string id;
    std::vector<std::string> args;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "exec",
      "Run a command in a running container with this terminal's "
      "stdin/stdout/stderr;\n"
      "exit with its exit code.\n"
      "Example: snapctl exec web -- ls /etc");
  c->add_option("id", a->id, "Container id")->required();
  c->add_option("args", a->args, "Command and arguments (after --)")
      ->required();
  c->callback([&ctx, a] {
    auto rt = OpenRuntime(ctx, nullptr);
    Exit(Check(rt->Exec(a->id, a->args)));
  });
}

void RegisterPs(CLI::App& app, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand(
      "ps",
      "List the host pids of a container's processes (JSON array with "
      "--json).\n"
      "Example: snapctl ps web");
  c->add_option("id", *id, "Container id")->required();
  c->callback([&ctx, id] {
    auto rt = OpenRuntime(ctx, nullptr);
    std::vector<uint32_t> pids = Check(rt->Ps(*id));
    if (ctx.json) {
      PrintJson(json(pids));
      return;
    }
    std::vector<std::vector<std::string>> rows = {{"PID"}};
    for (uint32_t p : pids) rows.push_back({std::to_string(p)});
    std::cout << Table(rows);
  });
}

void RegisterPauseOrResume(CLI::App& app, CliContext& ctx, const char* verb) {
  auto id = std::make_shared<std::string>();
  const bool pause = std::string(verb) == "pause";
  CLI::App* c = app.add_subcommand(
      verb, pause ? "Freeze every process of a running container.\n"
                    "Example: snapctl pause web && snapctl state web"
                  : "Thaw a paused container.\n"
                    "Example: snapctl resume web");
  c->add_option("id", *id, "Container id")->required();
  c->callback([&ctx, id, pause] {
    auto rt = OpenRuntime(ctx, nullptr);
    Check(pause ? rt->Pause(*id) : rt->Resume(*id));
  });
}

void RegisterState(CLI::App& app, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand(
      "state",
      "Print a container's OCI state as JSON (ociVersion, id, pid, status, "
      "bundle, created).\n"
      "Example: snapctl state web | jq -r .status");
  c->add_option("id", *id, "Container id")->required();
  c->callback([&ctx, id] {
    auto rt = OpenRuntime(ctx, nullptr);
    PrintJson(runtime::StateJson(Check(rt->State(*id))));
  });
}

void RegisterKill(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string id, signal = "TERM";
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "kill",
      "Stop a running or paused container: KILL (9) terminates it at once,\n"
      "TERM (15, default) or INT (2) asks it to stop and terminates it "
      "after 10 s.\n"
      "Example: snapctl kill web KILL && snapctl delete web");
  c->add_option("id", a->id, "Container id")->required();
  c->add_option("signal", a->signal, "Signal name or number (default TERM)");
  c->callback([&ctx, a] {
    auto rt = OpenRuntime(ctx, nullptr);
    Check(rt->Kill(a->id, a->signal));
  });
}

void RegisterDelete(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string id;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "delete",
      "Delete a stopped container: unmount its scratch, remove its state "
      "and the\n"
      "scratch snapshot run --image prepared. --force also kills a running "
      "one.\n"
      "Example: snapctl delete --force web");
  c->add_option("id", a->id, "Container id")->required();
  c->add_flag("--force,-f", a->force, "Kill it first if it runs");
  c->callback([&ctx, a] {
    auto sn = Check(ctx.Open(/*read_only=*/false));
    auto rt = OpenRuntime(ctx, sn.get());
    Check(rt->Delete(a->id, a->force));
  });
}

void RegisterContainers(CLI::App& app, CliContext& ctx) {
  auto local_json = std::make_shared<bool>(false);
  CLI::App* c = app.add_subcommand(
      "containers",
      "List containers (ID PID STATUS CREATED BUNDLE), or their OCI states "
      "with --json.\n"
      "Example: snapctl containers --json");
  c->alias("list");  // runhcs's name
  c->add_flag("--json", *local_json, "JSON array of OCI states");
  c->callback([&ctx, local_json] {
    auto rt = OpenRuntime(ctx, nullptr);
    std::vector<runtime::ContainerState> all = Check(rt->List());
    if (ctx.json || *local_json) {
      json arr = json::array();
      for (const auto& s : all) arr.push_back(runtime::StateJson(s));
      PrintJson(arr);
      return;
    }
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PID", "STATUS", "CREATED", "BUNDLE"}};
    for (const auto& s : all) {
      rows.push_back({s.id, std::to_string(s.pid), s.status,
                      Rfc3339Nano(s.created_ns), s.bundle});
    }
    std::cout << Table(rows);
  });
}

}  // namespace

void RegisterRunCommands(CLI::App& app, CliContext& ctx) {
  RegisterRun(app, ctx);
  RegisterCreate(app, ctx);
  RegisterStart(app, ctx);
  RegisterExec(app, ctx);
  RegisterPs(app, ctx);
  for (const char* verb : {"pause", "resume"})
    RegisterPauseOrResume(app, ctx, verb);
  RegisterState(app, ctx);
  RegisterKill(app, ctx);
  RegisterDelete(app, ctx);
  RegisterContainers(app, ctx);
}

}  // namespace winsnap::tools
