; Inno Setup 6 script of the Backprop Studio installer for Windows 10 (1809) / 11, x64.
;
; Built by packaging\windows\build.ps1 after PyInstaller has made packaging\dist\bpstudio\:
;   ISCC.exe /DAppVersion=0.1.0 /DAppDir=..\dist\bpstudio packaging\windows\bpstudio.iss
; Output: packaging\dist\bpstudio-<version>-windows-x64-setup.exe
;
; One installer for both install modes (Inno Setup's "PrivilegesRequiredOverridesAllowed"):
;   per machine (default, needs admin)   C:\Program Files\Backprop Studio, Start menu for all users
;   per user (/CURRENTUSER, no admin)    %LOCALAPPDATA%\Programs\Backprop Studio, the user's Start menu
; Silent install / uninstall for deployment tools (see docs\installing.md):
;   bpstudio-<version>-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /ALLUSERS
;   bpstudio-<version>-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /CURRENTUSER
;   "<install folder>\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Optional: /DIR="D:\Apps\Backprop Studio"  /TASKS="desktopicon"  /LOG="C:\Temp\bpstudio-setup.log"

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z
#endif
#ifndef AppDir
  #define AppDir "..\dist\bpstudio"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif

#define AppName "Backprop Studio"
#define AppExe "bpstudio.exe"

[Setup]
; The AppId identifies the installation for upgrades and uninstall: never change it.
AppId={{AA79BDD2-2EF1-4F37-869C-FD5944F79A2C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=bpstudio developers
AppComments=Draw a neural network and watch backpropagation, one delta at a time
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6.10 supports Windows 10 1809 (build 17763) and newer
MinVersion=10.0.17763
OutputDir={#OutputDir}
OutputBaseFilename=bpstudio-{#AppVersion}-windows-x64-setup
SetupIconFile=bpstudio.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#AppDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Draw a neural network and watch backpropagation"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; "bpstudio" in the Run dialog (Win+R) and in `start bpstudio`
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\App Paths\{#AppExe}"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\App Paths\{#AppExe}"; ValueType: string; ValueName: "Path"; ValueData: "{app}"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; nothing is written into the install folder at run time; this only catches files a user put there
Type: dirifempty; Name: "{app}"
