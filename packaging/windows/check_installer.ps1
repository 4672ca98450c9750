<#
.SYNOPSIS
  Silently install the Backprop Studio installer, smoke-test the installed app, silently uninstall it
  and check that nothing is left. Used by CI (.github/workflows/installers.yml) for both install modes.

.EXAMPLE
  packaging\windows\check_installer.ps1 -Installer packaging\dist\bpstudio-0.1.0-windows-x64-setup.exe -Mode CurrentUser
  packaging\windows\check_installer.ps1 -Installer ... -Mode AllUsers      # needs an elevated prompt
#>
param(
  [Parameter(Mandatory = $true)][string]$Installer,
  [ValidateSet("CurrentUser", "AllUsers")][string]$Mode = "CurrentUser"
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$AppId = "{AA79BDD2-2EF1-4F37-869C-FD5944F79A2C}_is1"
if ($Mode -eq "AllUsers") {
  $Switch = "/ALLUSERS"
  $InstallDir = Join-Path $env:ProgramFiles "Backprop Studio"
  $UninstallKey = "HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall\$AppId"
  $Shortcut = Join-Path $env:ProgramData "Microsoft\Windows\Start Menu\Programs\Backprop Studio.lnk"
} else {
  $Switch = "/CURRENTUSER"
  $InstallDir = Join-Path $env:LOCALAPPDATA "Programs\Backprop Studio"
  $UninstallKey = "HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\$AppId"
  $Shortcut = Join-Path $env:APPDATA "Microsoft\Windows\Start Menu\Programs\Backprop Studio.lnk"
}
function Fail([string]$Message) { throw "check_installer ($Mode): $Message" }

$Log = Join-Path $env:TEMP "bpstudio-setup-$Mode.log"
Write-Host "== silent install ($Switch)"
$p = Start-Process -FilePath (Resolve-Path $Installer) -Wait -PassThru `
  -ArgumentList "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", $Switch, "/LOG=`"$Log`""
if ($p.ExitCode -ne 0) { Get-Content $Log -Tail 30; Fail "setup exited with $($p.ExitCode)" }
foreach ($f in @("bpstudio.exe", "bpstudio-cli.exe", "unins000.exe", "_internal\bpstudio\resources\RESOURCES.md")) {
  if (-not (Test-Path (Join-Path $InstallDir $f))) { Fail "$f is missing from $InstallDir" }
}
if (-not (Test-Path $Shortcut)) { Fail "no Start menu shortcut at $Shortcut" }
$entry = Get-ItemProperty -Path $UninstallKey -ErrorAction SilentlyContinue
if (-not $entry) { Fail "no uninstall entry at $UninstallKey" }
Write-Host "   $($entry.DisplayName) $($entry.DisplayVersion) in $InstallDir"
Write-Host "   QuietUninstallString: $($entry.QuietUninstallString)"

Write-Host "== smoke test of the installed app (offscreen)"
$env:QT_QPA_PLATFORM = "offscreen"
& (Join-Path $InstallDir "bpstudio-cli.exe") --smoke-test
if ($LASTEXITCODE -ne 0) { Fail "the installed app's smoke test failed" }
Remove-Item Env:\QT_QPA_PLATFORM

Write-Host "== silent uninstall (as a deployment tool would: the registered uninstaller)"
$uninstaller = ($entry.UninstallString).Trim('"')
$p = Start-Process -FilePath $uninstaller -Wait -PassThru -ArgumentList "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"
if ($p.ExitCode -ne 0) { Fail "the uninstaller exited with $($p.ExitCode)" }
# the uninstaller re-launches itself from %TEMP% to delete its own file: wait for the folder to go
$deadline = (Get-Date).AddSeconds(120)
while ((Test-Path $InstallDir) -and ((Get-Date) -lt $deadline)) { Start-Sleep -Milliseconds 500 }
if (Test-Path $InstallDir) {
  Get-ChildItem -Recurse $InstallDir | Select-Object -First 20 FullName
  Fail "$InstallDir is still there after uninstall"
}
if (Test-Path $UninstallKey) { Fail "the uninstall entry is still registered" }
if (Test-Path $Shortcut) { Fail "the Start menu shortcut is still there" }
$appPaths = if ($Mode -eq "AllUsers") { "HKLM:" } else { "HKCU:" }
if (Test-Path "$appPaths\Software\Microsoft\Windows\CurrentVersion\App Paths\bpstudio.exe") {
  Fail "the App Paths entry is still registered"
}
Write-Host "check_installer ($Mode): ok"
