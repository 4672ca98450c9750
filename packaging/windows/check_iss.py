"""A static check of an Inno Setup 6 script, for machines without Inno Setup (it runs on Windows only).

    python packaging/windows/check_iss.py packaging/windows/bpstudio.iss

Checks what the compiler would refuse and what is easy to get wrong: section names; [Setup]
directives; each entry line's ``Name: value; …`` parameters (known for its section, quotes closed);
the values of Flags, Root, ValueType and Type; brace constants ({app}, {autopf}, {cm:…}, {#…}; ``{{``
is a literal brace); preprocessor #if/#endif pairs; and that a Pascal [Code] section's begin/end
balance. Names come from the Inno Setup 6 documentation (jrsoftware.org/ishelp). Prints one line per
problem with its line number; exit status 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SECTIONS = {
    "setup", "types", "components", "tasks", "dirs", "files", "icons", "ini", "installdelete",
    "languages", "messages", "custommessages", "langoptions", "registry", "run", "uninstalldelete",
    "uninstallrun", "code",
}  # fmt: skip
SETUP_DIRECTIVES = {
    # compiler-related
    "ASLRCompatible", "Compression", "CompressionThreads", "DEPCompatible", "DiskClusterSize",
    "DiskSliceSize", "DiskSpanning", "Encryption", "InternalCompressLevel", "LZMAAlgorithm",
    "LZMABlockSize", "LZMADictionarySize", "LZMAMatchFinder", "LZMANumBlockThreads",
    "LZMANumFastBytes", "LZMAUseSeparateProcess", "MergeDuplicateFiles", "MissingMessagesWarning",
    "NotRecognizedMessagesWarning", "Output", "OutputBaseFilename", "OutputDir",
    "OutputManifestFile", "ReserveBytes", "SignedUninstaller", "SignedUninstallerDir", "SignTool",
    "SignToolMinimumTimeBetween", "SignToolRetryCount", "SignToolRetryDelay", "SignToolRunMinimized",
    "SlicesPerDisk", "SolidCompression", "SourceDir", "TerminalServicesAware", "UsedUserAreasWarning",
    "UseSetupLdr", "VersionInfoCompany", "VersionInfoCopyright", "VersionInfoDescription",
    "VersionInfoOriginalFileName", "VersionInfoProductName", "VersionInfoProductTextVersion",
    "VersionInfoProductVersion", "VersionInfoTextVersion", "VersionInfoVersion",
    # installer-related
    "AllowCancelDuringInstall", "AllowNetworkDrive", "AllowNoIcons", "AllowRootDirectory",
    "AllowUNCPath", "AlwaysRestart", "AlwaysShowComponentsList", "AlwaysShowDirOnReadyPage",
    "AlwaysShowGroupOnReadyPage", "AlwaysUsePersonalGroup", "AppComments", "AppContact",
    "AppCopyright", "AppendDefaultDirName", "AppendDefaultGroupName", "AppId", "AppModifyPath",
    "AppMutex", "AppName", "AppPublisher", "AppPublisherURL", "AppReadmeFile", "AppSupportPhone",
    "AppSupportURL", "AppUpdatesURL", "AppVerName", "AppVersion", "ArchitecturesAllowed",
    "ArchitecturesInstallIn64BitMode", "ChangesAssociations", "ChangesEnvironment",
    "CloseApplications", "CloseApplicationsFilter", "CreateAppDir", "CreateUninstallRegKey",
    "DefaultDialogFontName", "DefaultDirName", "DefaultGroupName", "DefaultUserInfoName",
    "DefaultUserInfoOrg", "DefaultUserInfoSerial", "DirExistsWarning", "DisableDirPage",
    "DisableFinishedPage", "DisableProgramGroupPage", "DisableReadyMemo", "DisableReadyPage",
    "DisableStartupPrompt", "DisableWelcomePage", "EnableDirDoesntExistWarning", "ExtraDiskSpaceRequired",
    "InfoAfterFile", "InfoBeforeFile", "LanguageDetectionMethod", "LicenseFile", "MinVersion",
    "OnlyBelowVersion", "Password", "PrivilegesRequired", "PrivilegesRequiredOverridesAllowed",
    "RestartApplications", "RestartIfNeededByRun", "SetupLogging", "SetupMutex", "ShowComponentSizes",
    "ShowLanguageDialog", "ShowTasksTreeLines", "ShowUndisplayableLanguages", "TimeStampRounding",
    "TimeStampsInUTC", "TouchDate", "TouchTime", "Uninstallable", "UninstallDisplayIcon",
    "UninstallDisplayName", "UninstallDisplaySize", "UninstallFilesDir", "UninstallLogMode",
    "UninstallRestartComputer", "UpdateUninstallLogAppName", "UsePreviousAppDir",
    "UsePreviousGroup", "UsePreviousLanguage", "UsePreviousPrivileges", "UsePreviousSetupType",
    "UsePreviousTasks", "UsePreviousUserInfo", "UserInfoPage",
    # cosmetic
    "AppVerNameShort", "BackColor", "BackColor2", "BackColorDirection", "BackSolid", "FlatComponentsList",
    "SetupIconFile", "WindowResizable", "WindowShowCaption",
    "WindowStartMaximized", "WindowVisible", "WizardImageAlphaFormat", "WizardImageFile",
    "WizardImageStretch", "WizardResizable", "WizardSizePercent", "WizardSmallImageFile", "WizardStyle",
}  # fmt: skip
COMMON = {"Components", "Tasks", "Languages", "Check", "BeforeInstall", "AfterInstall", "MinVersion",
          "OnlyBelowVersion"}  # fmt: skip
PARAMETERS = {
    "languages": {"Name", "MessagesFile", "LicenseFile", "InfoBeforeFile", "InfoAfterFile"},
    "types": {"Name", "Description", "Flags", "Languages", "Check", "MinVersion", "OnlyBelowVersion"},
    "components": {"Name", "Description", "Types", "ExtraDiskSpaceRequired", "Flags", "Languages",
                   "Check", "MinVersion", "OnlyBelowVersion"},
    "tasks": {"Name", "Description", "GroupDescription", "Flags"} | COMMON,
    "dirs": {"Name", "Attribs", "Permissions", "Flags"} | COMMON,
    "files": {"Source", "DestDir", "DestName", "Excludes", "ExternalSize", "CopyMode", "Attribs",
              "Permissions", "FontInstall", "StrongAssemblyName", "Flags"} | COMMON,
    "icons": {"Name", "Filename", "Parameters", "WorkingDir", "HotKey", "Comment", "IconFilename",
              "IconIndex", "AppUserModelID", "AppUserModelToastActivatorCLSID", "Flags"} | COMMON,
    "ini": {"Filename", "Section", "Key", "String", "Flags"} | COMMON,
    "installdelete": {"Type", "Name"} | COMMON,
    "uninstalldelete": {"Type", "Name"} | COMMON,
    "registry": {"Root", "Subkey", "ValueType", "ValueName", "ValueData", "Permissions", "Flags"} | COMMON,
    "run": {"Filename", "Description", "Parameters", "WorkingDir", "StatusMsg", "RunOnceId", "Verb",
            "Flags"} | COMMON,
    "uninstallrun": {"Filename", "Description", "Parameters", "WorkingDir", "StatusMsg", "RunOnceId",
                     "Verb", "Flags"} | COMMON,
}  # fmt: skip
FLAGS = {
    "tasks": {"checkablealone", "checkedonce", "dontinheritcheck", "exclusive", "restart", "unchecked"},
    "files": {"32bit", "64bit", "allowunsafefiles", "comparetimestamp", "confirmoverwrite",
              "createallsubdirs", "deleteafterinstall", "dontcopy", "dontverifychecksum", "external",
              "fontisnttruetype", "gacinstall", "ignoreversion", "isreadme", "nocompression",
              "noencryption", "noregerror", "onlyifdestfileexists", "onlyifdoesntexist",
              "overwritereadonly", "promptifolder", "recursesubdirs", "regserver", "regtypelib",
              "replacesameversion", "restartreplace", "setntfscompression", "sharedfile", "sign",
              "signonce", "skipifsourcedoesntexist", "solidbreak", "sortfilesbyextension",
              "sortfilesbyname", "touch", "uninsneveruninstall", "uninsnosharedfileprompt",
              "uninsremovereadonly", "uninsrestartdelete", "unsetntfscompression"},
    "icons": {"closeonexit", "createonlyiffileexists", "dontcloseonexit", "excludefromshowinnewinstall",
              "foldershortcut", "preventpinning", "runmaximized", "runminimized", "uninsneveruninstall",
              "useapppaths"},
    "registry": {"createvalueifdoesntexist", "deletekey", "deletevalue", "dontcreatekey",
                 "noerror", "preservestringtype", "uninsclearvalue", "uninsdeletekey",
                 "uninsdeletekeyifempty", "uninsdeletevalue", "uninsneveruninstall"},
    "run": {"32bit", "64bit", "hidewizard", "nowait", "postinstall", "runascurrentuser", "runasoriginaluser",
            "runhidden", "runmaximized", "runminimized", "shellexec", "skipifdoesntexist",
            "skipifnotsilent", "skipifsilent", "unchecked", "waituntilidle", "waituntilterminated",
            "logoutput", "dontlogparameters"},
    "uninstallrun": {"32bit", "64bit", "hidewizard", "nowait", "runascurrentuser", "runhidden",
                     "runmaximized", "runminimized", "shellexec", "skipifdoesntexist", "waituntilidle",
                     "waituntilterminated", "logoutput", "dontlogparameters"},
    "dirs": {"deleteafterinstall", "setntfscompression", "uninsalwaysuninstall", "uninsneveruninstall",
             "unsetntfscompression"},
}  # fmt: skip
#: the parameters an entry of a section must have
REQUIRED = {
    "files": ("Source", "DestDir"),
    "icons": ("Name", "Filename"),
    "run": ("Filename",),
    "registry": ("Root", "Subkey"),
    "uninstalldelete": ("Type", "Name"),
}
ROOTS = {"HKA", "HKCU", "HKLM", "HKCR", "HKU", "HKCC"}
VALUE_TYPES = {"none", "string", "expandsz", "multisz", "dword", "qword", "binary"}
DELETE_TYPES = {"files", "filesandordirs", "dirifempty"}
CONSTANTS = {
    "app", "win", "sys", "sysnative", "syswow64", "src", "sd", "commonpf", "commonpf32", "commonpf64",
    "commoncf", "commoncf32", "commoncf64", "tmp", "fonts", "dao", "dotnet11", "dotnet20", "dotnet40",
    "group", "localappdata", "userappdata", "commonappdata", "usercf", "userdesktop", "commondesktop",
    "userdocs", "commondocs", "userfavorites", "userfonts", "userpf", "userprograms", "commonprograms",
    "userstartmenu", "commonstartmenu", "userstartup", "commonstartup", "usertemplates",
    "commontemplates", "autoappdata", "autocf", "autocf32", "autocf64", "autodesktop", "autodocs",
    "autofonts", "autopf", "autopf32", "autopf64", "autoprograms", "autostartmenu", "autostartup",
    "autotemplates", "cmd", "computername", "groupname", "hwnd", "wizardhwnd", "language", "log",
    "sysuserinfoname", "sysuserinfoorg", "uninstallexe", "username", "userinfoname", "userinfoorg",
    "userinfoserial", "pf", "pf32", "pf64", "cf", "cf32", "cf64", "\\", "srcexe",
}  # fmt: skip
#: constants with an argument: {cm:Name,…}, {code:Func|…}, {reg:…}, {ini:…}, {param:…}, {drive:…}, {%ENV}
PREFIXED = ("cm:", "code:", "reg:", "ini:", "param:", "drive:", "%", "#")


def _split_params(text: str) -> tuple[list[str], str | None]:
    """``Name: "a; b"; Flags: x`` → its parts split at semicolons outside quotes, or a problem."""
    parts, cur, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if quoted:
        return [], "a quoted value is not closed"
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()], None


def _constants(text: str) -> tuple[list[str], str | None]:
    """The names inside single braces ({{ is a literal brace), or a problem with the braces."""
    names, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                i += 2
                continue
            depth, j = 1, i + 1
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            if depth:
                return names, "a { is not closed"
            names.append(text[i + 1 : j - 1])
            i = j
            continue
        i += 1
    return names, None


def _check_constants(text: str) -> list[str]:
    names, problem = _constants(text)
    out = [problem] if problem else []
    for name in names:
        if not name.startswith(PREFIXED) and name not in CONSTANTS:
            out.append(f"unknown constant {{{name}}}")
    return out


def check(text: str) -> list[str]:
    """Problems of the script ``text``: "line N: what"."""
    problems: list[str] = []
    section: str | None = None
    if_stack: list[int] = []
    code_depth = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("//"):
            continue
        if line.startswith("#"):
            word = line[1:].split(None, 1)[0].lower() if len(line) > 1 else ""
            if word in ("if", "ifdef", "ifndef", "ifexist", "ifnexist"):
                if_stack.append(n)
            elif word == "endif":
                if not if_stack:
                    problems.append(f"line {n}: #endif without #if")
                else:
                    if_stack.pop()
            elif word not in ("define", "undef", "error", "include", "else", "elif", "pragma", "emit", "sub",
                              "endsub", "for", "expr", "insert", "append", "file"):  # fmt: skip
                problems.append(f"line {n}: unknown preprocessor directive #{word}")
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            section = m.group(1).lower()
            if section not in SECTIONS:
                problems.append(f"line {n}: unknown section [{m.group(1)}]")
            continue
        if section is None:
            problems.append(f"line {n}: text before the first section")
            continue
        if section == "code":
            words = re.findall(r"[A-Za-z_]+", re.sub(r"'[^']*'|\{[^}]*\}|//.*", "", line))
            for w in (w.lower() for w in words):
                if w in ("begin", "case", "try"):
                    code_depth += 1
                elif w == "end":
                    code_depth -= 1
            continue
        if section == "setup":
            key, eq, value = line.partition("=")
            if not eq:
                problems.append(f"line {n}: a [Setup] line is Directive=value")
            elif key.strip() not in SETUP_DIRECTIVES:
                problems.append(f"line {n}: unknown [Setup] directive {key.strip()}")
            else:
                problems += [f"line {n}: {p}" for p in _check_constants(value)]
            continue
        if section in ("messages", "custommessages", "langoptions"):
            if "=" not in line:
                problems.append(f"line {n}: a [{section}] line is Name=value")
            continue
        parts, problem = _split_params(line)
        if problem:
            problems.append(f"line {n}: {problem}")
            continue
        seen = set()
        for part in parts:
            name, colon, value = part.partition(":")
            name, value = name.strip(), value.strip()
            if not colon or not re.fullmatch(r"[A-Za-z]+", name):
                problems.append(f"line {n}: {part!r} is not Name: value")
                continue
            if name not in PARAMETERS.get(section, set()):
                problems.append(f"line {n}: [{section}] has no parameter {name}")
            if name in seen:
                problems.append(f"line {n}: {name} is given twice")
            seen.add(name)
            bare = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
            problems += [f"line {n}: {p}" for p in _check_constants(bare)]
            if name == "Flags":
                allowed = FLAGS.get(section, set())
                for flag in bare.split():
                    if flag not in allowed:
                        problems.append(f"line {n}: [{section}] has no flag {flag}")
            elif name == "Root" and bare.rstrip("3264") not in ROOTS:
                problems.append(f"line {n}: unknown registry root {bare}")
            elif name == "ValueType" and bare not in VALUE_TYPES:
                problems.append(f"line {n}: unknown ValueType {bare}")
            elif (
                name == "Type"
                and section in ("installdelete", "uninstalldelete")
                and bare not in DELETE_TYPES
            ):
                problems.append(f"line {n}: unknown Type {bare}")
        for name in REQUIRED.get(section, ()):
            if name not in seen:
                problems.append(f"line {n}: [{section}] needs {name}")
    for n in if_stack:
        problems.append(f"line {n}: #if without #endif")
    if code_depth:
        problems.append(f"[Code]: begin/end do not balance ({code_depth:+d})")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: check_iss.py SCRIPT.iss", file=sys.stderr)
        return 2
    problems = check(Path(args[0]).read_text(encoding="utf-8-sig"))
    for p in problems:
        print(f"{args[0]}: {p}")
    if not problems:
        print(f"{args[0]}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
