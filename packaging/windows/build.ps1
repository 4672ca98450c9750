<#
.SYNOPSIS
  Build Backprop Studio for Windows: the frozen app folder, a .zip of it and the Inno Setup installer.

.DESCRIPTION
  Run from any folder, in PowerShell 5.1+ on Windows 10/11 x64:

    powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 [-Python py] [-SkipInstaller]

  Needs Python 3.11+ (x64, from python.org or the Store), network access to PyPI, and Inno Setup 6
  (https://jrsoftware.org/isinfo.php; `winget install JRSoftware.InnoSetup` or `choco install innosetup`)
  unless -SkipInstaller. Everything is built from scratch in packaging\build (a new venv with the pinned
  packaging\requirements-build.txt); the results land in packaging\dist:
    bpstudio\                                      the app folder (bpstudio.exe, bpstudio-cli.exe)
    bpstudio-VERSION-windows-x64.zip               that folder, for copying without an installer
    bpstudio-VERSION-windows-x64-setup.exe         the installer (see bpstudio.iss for its switches)
  The frozen app's smoke test runs before the installer is made.
#>
param(
  [string]$Python = "py",
  [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
$Packaging = Join-Path $Root "packaging"
$Build = Join-Path $Packaging "build"
$Dist = Join-Path $Packaging "dist"
$Venv = Join-Path $Build "venv"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
$env:PIP_DISABLE_PIP_VERSION_CHECK = "1"

function Invoke-Checked {
  # Run a native command; stop the build if it fails (PowerShell does not, by itself).
  param([string]$What, [scriptblock]$Command)
  Write-Host "== $What"
  $started = Get-Date
  & $Command
  if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
  Write-Host ("   ({0:N1} s)" -f ((Get-Date) - $started).TotalSeconds)
}

New-Item -ItemType Directory -Force -Path $Build, $Dist | Out-Null

if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
$pythonArgs = @()
if ($Python -eq "py") { $pythonArgs = @("-3.11") }
Invoke-Checked "build venv with the pinned build requirements" {
  & $Python @pythonArgs -m venv $Venv
  if ($LASTEXITCODE -eq 0) { & $VenvPython -m pip install -q -r (Join-Path $Packaging "requirements-build.txt") }
}

Get-ChildItem $Dist -Filter "bpstudio-*.whl" -ErrorAction SilentlyContinue | Remove-Item -Force
Invoke-Checked "wheel" {
  & $VenvPython -m pip wheel -q --no-deps --no-build-isolation -w $Dist $Root
}
$Wheel = (Get-ChildItem $Dist -Filter "bpstudio-*.whl" | Select-Object -First 1).FullName
Invoke-Checked "install the wheel into the build venv" { & $VenvPython -m pip install -q --no-deps $Wheel }
$Version = (& $VenvPython -c "import bpstudio; print(bpstudio.__version__)").Trim()
Write-Host "   bpstudio $Version"

$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked "icons are up to date with resources\icons\bpstudio.svg" {
  & $VenvPython (Join-Path $Packaging "make_icons.py") --check
}

$AppDir = Join-Path $Dist "bpstudio"
if (Test-Path $AppDir) { Remove-Item -Recurse -Force $AppDir }
Push-Location $Root
try {
  Invoke-Checked "PyInstaller (one-folder app)" {
    & $VenvPython -m PyInstaller --noconfirm --clean --log-level WARN `
      --distpath $Dist --workpath (Join-Path $Build "pyinstaller") (Join-Path $Packaging "bpstudio.spec")
  }
} finally { Pop-Location }
Copy-Item (Join-Path $Packaging "THIRD-PARTY.md") $AppDir

# bpstudio-cli.exe is the console twin of bpstudio.exe: its output reaches the console and $LASTEXITCODE
Invoke-Checked "smoke test of the frozen app (offscreen)" {
  & (Join-Path $AppDir "bpstudio-cli.exe") --smoke-test
}
Remove-Item Env:\QT_QPA_PLATFORM

$Zip = Join-Path $Dist "bpstudio-$Version-windows-x64.zip"
if (Test-Path $Zip) { Remove-Item -Force $Zip }
Write-Host "== zip"
Compress-Archive -Path $AppDir -DestinationPath $Zip
Write-Host "   $Zip"

if (-not $SkipInstaller) {
  $Iscc = (Get-Command "ISCC.exe" -ErrorAction SilentlyContinue).Source
  if (-not $Iscc) {
    foreach ($candidate in @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                             "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")) {
      if (Test-Path $candidate) { $Iscc = $candidate; break }
    }
  }
  if (-not $Iscc) { throw "Inno Setup 6 (ISCC.exe) was not found: install it or pass -SkipInstaller" }
  Invoke-Checked "installer (Inno Setup)" {
    & $Iscc /Q "/DAppVersion=$Version" "/DAppDir=$AppDir" "/DOutputDir=$Dist" (Join-Path $PSScriptRoot "bpstudio.iss")
  }
}

Write-Host "== done"
Get-ChildItem $Dist | Format-Table -Property @('Name', 'Length')
