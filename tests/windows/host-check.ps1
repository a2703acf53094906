# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# Checks, on a real Windows Server 2022 host, what Wine cannot run (see
# docs/windows.md): vmcompute's NameToGuid, junction-safe deletion, and a
# nanoserver container created, started, waited for and deleted from layers
# snapctl prepared. Run from an elevated PowerShell with snapctl.exe on PATH
# and the Containers feature installed:
#   .\tests\windows\host-check.ps1 -Root C:\ProgramData\winsnap-check
# Prints PASS/FAIL/SKIP per check; exits 1 if any check failed.
param(
  [string]$Root = "C:\ProgramData\winsnap-check",
  [string]$Image = "mcr.microsoft.com/windows/nanoserver:ltsc2022",
  [string]$Snapctl = "snapctl.exe",
  [string]$OciArchive = "",
  # Opt-in: a containerd windows snapshotter root for the reclaim check (7);
  # reclaim deletes every rm-* folder there, not only the planted one.
  [string]$ContainerdRoot = "",
  # Opt-in: config.toml of a stopped containerd, for the service check (8).
  [string]$ContainerdConfig = ""
)
$ErrorActionPreference = "Stop"
$failed = 0
function Report($name, $ok, $detail) {
  if ($ok) { Write-Host "PASS $name" } else { Write-Host "FAIL $name : $detail"; $script:failed++ }
}

# 1. NameToGuid("4") through vmcompute.dll (hcsshim's LayerID rule).
Add-Type -TypeDefinition @"
using System;
using System.Runtime.InteropServices;
public static class WinsnapVmcompute {
  [DllImport("vmcompute.dll", CharSet = CharSet.Unicode)]
  public static extern int NameToGuid(string name, out Guid guid);
}
"@
$guid = [Guid]::Empty
$hr = [WinsnapVmcompute]::NameToGuid("4", [ref]$guid)
Report "NameToGuid(4)" (($hr -eq 0) -and ($guid.ToString() -eq "bd9c3ef9-f239-59b5-a27e-15c523b1d149")) "hr=$hr guid=$guid"

# 2. A junction inside a removed snapshot is removed as a link, never
#    followed: the folder it points at survives `snapctl rm` + `gc`.
& $Snapctl --root $Root prepare junction-check | Out-Null
$folder = (& $Snapctl --root $Root path junction-check).Trim()
$outside = Join-Path $env:TEMP "winsnap-junction-target"
New-Item -ItemType Directory -Force $outside | Out-Null
Set-Content (Join-Path $outside "keep.txt") "keep"
cmd /c mklink /J "$folder\link" "$outside" | Out-Null
& $Snapctl --root $Root rm junction-check | Out-Null
& $Snapctl --root $Root gc | Out-Null
Report "RemoveAll keeps junction targets" ((Test-Path (Join-Path $outside "keep.txt")) -and -not (Test-Path $folder)) "target or folder state wrong"
Remove-Item -Recurse -Force $outside

# 3. A file held open without FILE_SHARE_DELETE: gc reports it remaining,
#    then deletes it once the handle is closed (Wine cannot show this).
& $Snapctl --root $Root prepare held-check | Out-Null
$held = (& $Snapctl --root $Root path held-check).Trim()
Set-Content "$held\held.txt" "x"
$fs = [System.IO.File]::Open("$held\held.txt", "Open", "Read", "Read")
& $Snapctl --root $Root rm held-check | Out-Null
& $Snapctl --root $Root gc | Out-Null
$fs.Close()
& $Snapctl --root $Root gc | Out-Null
Report "gc deletes a file once its holder closes it" (-not (Test-Path $held)) "$held still exists"

# 4. nanoserver from layers snapctl prepared: create/start/wait/delete.
try {
  & $Snapctl --root $Root pull $Image
  if ($LASTEXITCODE -ne 0) { throw "pull failed" }
  $out = & $Snapctl --root $Root run --rm --image $Image host-check -- cmd /c "echo winsnap-ok"
  Report "nanoserver create/start/wait/delete" ($LASTEXITCODE -eq 0 -and ($out -join "`n") -match "winsnap-ok") "exit=$LASTEXITCODE output=$out"
} catch {
  Report "nanoserver create/start/wait/delete" $false $_
}
$left = & $Snapctl --root $Root list
Report "nothing left behind" (-not ($left -match "host-check")) "$left"

# 5. Real Windows layers end to end (issue 11): import nanoserver:ltsc2022
#    from an OCI archive (written by the Windows layer writer: BackupWrite,
#    ProcessBaseImage), run a container from it, then rmi + gc --prune must
#    leave no snapshot folder. Give the archive with -OciArchive (e.g. from
#    `skopeo copy docker://$Image oci-archive:nanoserver.tar`). Not run in
#    CI: Wine has no vmcompute.dll and BackupWrite is a stub there.
if ($OciArchive -and (Test-Path $OciArchive)) {
  try {
    & $Snapctl --root $Root import $OciArchive --name $Image
    if ($LASTEXITCODE -ne 0) { throw "import failed ($LASTEXITCODE)" }
    $out = & $Snapctl --root $Root run --rm --image $Image hc-import -- cmd /c echo test
    Report "imported nanoserver runs cmd /c echo test" ($LASTEXITCODE -eq 0 -and (($out -join "`n").Trim() -eq "test")) "exit=$LASTEXITCODE output=$out"
    & $Snapctl --root $Root rmi $Image | Out-Null
    & $Snapctl --root $Root gc --prune | Out-Null
    $snaps = Join-Path $Root "snapshots"
    $leftFolders = @(Get-ChildItem -Force $snaps -ErrorAction SilentlyContinue)
    Report "rmi + gc --prune leave no snapshot folder" ($leftFolders.Count -eq 0) "left: $($leftFolders.Name -join ', ')"
  } catch {
    Report "imported nanoserver runs cmd /c echo test" $false $_
  }
} else {
  Write-Host "SKIP real Windows layers end to end : pass -OciArchive <nanoserver ltsc2022 OCI archive>"
}

# 6. serve on a named pipe (issue 10): the pipe's DACL is exactly
#    Administrators + LocalSystem, and a squatter that created the name first
#    makes serve refuse (FILE_FLAG_FIRST_PIPE_INSTANCE; Wine ignores it).
$pipe = "winsnap-host-check-$PID"
$serve = Start-Process -PassThru -NoNewWindow $Snapctl -ArgumentList @("--root", $Root, "serve", "--address", "\\.\pipe\$pipe")
Start-Sleep -Seconds 2
try {
  $acl = [System.IO.Directory]::GetAccessControl("\\.\pipe\$pipe")
  $sddl = $acl.GetSecurityDescriptorSddlForm("Access")
  Report "pipe DACL is Administrators and SYSTEM only" ($sddl -match "^D:P" -and $sddl -match ";;;BA\)" -and $sddl -match ";;;SY\)" -and -not ($sddl -match ";;;WD\)")) "$sddl"
} catch {
  Report "pipe DACL is Administrators and SYSTEM only" $false $_
}
Stop-Process -Id $serve.Id
$squat = New-Object System.IO.Pipes.NamedPipeServerStream($pipe, "InOut", 1)
$out = & $Snapctl --root $Root serve --address "\\.\pipe\$pipe" 2>&1
Report "serve refuses a pipe name someone else holds" ($LASTEXITCODE -ne 0 -and ($out -join " ") -match "already") "exit=$LASTEXITCODE output=$out"
$squat.Dispose()


# 7. reclaim on a containerd root (issue 15): a planted rm-* layer folder
#    with a file held open without FILE_SHARE_DELETE is retried, reported
#    (exit 1, sharing violation) and kept; freed once the handle is closed.
#    The DeactivateLayer/DestroyLayer fallback runs here with vmcompute.dll.
if ($ContainerdRoot -eq "") {
  Write-Host "SKIP reclaim (pass -ContainerdRoot to run it)"
} else {
  $rm = Join-Path $ContainerdRoot "snapshots\rm-winsnap-check"
  New-Item -ItemType Directory -Force "$rm\Files" | Out-Null
  Set-Content "$rm\Files\in-use.log" "x"
  $fs = [System.IO.File]::Open("$rm\Files\in-use.log", "Open", "ReadWrite", "ReadWrite")
  $out = & $Snapctl reclaim --from-containerd $ContainerdRoot 2>&1
  $code = $LASTEXITCODE
  Report "reclaim keeps and reports a folder in use" ($code -eq 1 -and (Test-Path $rm) -and (($out -join "`n") -match "rm-winsnap-check")) "exit=$code output=$out"
  $fs.Close()
  & $Snapctl reclaim --from-containerd $ContainerdRoot | Out-Null
  Report "reclaim frees it once the handle is closed" (-not (Test-Path $rm)) "$rm still exists"
}

# 8. The Windows service (issue 10): install, start, containerd pointed at
#    the service's pipe (opt-in: -ContainerdConfig <config.toml> of a
#    containerd that is stopped; the check adds [proxy_plugins.winsnap],
#    starts containerd and runs `ctr snapshots --snapshotter winsnap ls`),
#    stop (graceful: serve.log), uninstall. Wine ran install/start/stop/
#    uninstall under its own services.exe only.
$svc = "winsnap-host-check"
$svcPipe = "\\.\pipe\winsnap-host-check"
$out = & $Snapctl --root $Root --log-level info service install --name $svc --address $svcPipe 2>&1
Report "service install" ($LASTEXITCODE -eq 0 -and (Get-Service $svc -ErrorAction SilentlyContinue) -ne $null -and (Get-Service $svc).StartType -eq "Automatic") "exit=$LASTEXITCODE output=$out"
$out = & $Snapctl --root $Root service install --name $svc --address $svcPipe 2>&1
Report "a second service install is refused in one line" ($LASTEXITCODE -ne 0 -and @($out).Count -eq 1 -and ($out -join " ") -match "already installed") "exit=$LASTEXITCODE output=$out"
try {
  Start-Service $svc
  (Get-Service $svc).WaitForStatus("Running", [TimeSpan]::FromSeconds(30))
  Report "service starts" ((Get-Service $svc).Status -eq "Running") "status=$((Get-Service $svc).Status)"
  if ($ContainerdConfig -ne "") {
    Add-Content $ContainerdConfig "`n[proxy_plugins.winsnap]`n  type = `"snapshot`"`n  address = `"\\\\.\\pipe\\winsnap-host-check`"`n"
    Start-Service containerd
    $ls = & ctr snapshots --snapshotter winsnap ls 2>&1
    Report "containerd reaches the service's pipe" ($LASTEXITCODE -eq 0) "exit=$LASTEXITCODE output=$ls"
    Stop-Service containerd
  } else {
    Write-Host "SKIP containerd through the service's pipe (pass -ContainerdConfig)"
  }
  Stop-Service $svc
  (Get-Service $svc).WaitForStatus("Stopped", [TimeSpan]::FromSeconds(30))
  $log = Get-Content (Join-Path $Root "logs\serve.log") -Raw
  Report "service stop is graceful" (((Get-Service $svc).Status -eq "Stopped") -and $log -match "service control STOP" -and $log -match "stopped") "status=$((Get-Service $svc).Status)"
} catch {
  Report "service start/stop" $false $_
}
$out = & $Snapctl service uninstall --name $svc 2>&1
Report "service uninstall" ($LASTEXITCODE -eq 0 -and (Get-Service $svc -ErrorAction SilentlyContinue) -eq $null) "exit=$LASTEXITCODE output=$out"
$out = & $Snapctl service uninstall --name $svc 2>&1
Report "uninstall of a missing service says so" ($LASTEXITCODE -ne 0 -and ($out -join " ") -match "not installed") "exit=$LASTEXITCODE output=$out"
# From a non-elevated prompt (run by hand): snapctl service install prints
# "service install needs an Administrator prompt" and exits 1.


if ($failed -gt 0) { exit 1 }
exit 0
