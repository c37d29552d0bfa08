; Chapel's Windows installer, built with NSIS (makensis) on Linux by
; scripts/package-windows.sh. It installs for the current user only, with no
; administrator rights: the program goes to %LocalAppData%\Programs\Chapel,
; the Start menu entry to the user's Start menu, the uninstaller's entry to
; the user's Apps list (HKCU). Chapel's data (%AppData%\Chapel, and models in
; %LocalAppData%\Chapel) is the user's and stays when Chapel is uninstalled.
;
; Defines passed by the script: VERSION, VERSION_NUM (a.b.c.d), SRCDIR (the
; folder holding chapel.exe, its engine variants and the licences), OUTFILE;
; FAST for a quickly compressed build.

; A 64-bit installer: Chapel is built for x86-64 only (and Wine without
; 32-bit support, as in the Wine check, runs it).
Target amd64-unicode
!ifdef FAST
SetCompressor zlib   ; the test's build (scripts/test-packages.sh): seconds, not minutes
!else
SetCompressor /SOLID lzma
!endif
RequestExecutionLevel user
ManifestDPIAware true

!include "MUI2.nsh"
!include "FileFunc.nsh"

!define APPNAME "Chapel"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Chapel"
; The WebView2 runtime's product code (the Evergreen runtime, as Microsoft documents it).
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Chapel"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "Chapel ${VERSION}"

VIProductVersion "${VERSION_NUM}"
VIAddVersionKey "ProductName" "Chapel"
VIAddVersionKey "FileDescription" "Chapel installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "Chapel"
VIAddVersionKey "LegalCopyright" "Chapel"

!define MUI_ICON "${SRCDIR}\chapel.ico"
!define MUI_UNICON "${SRCDIR}\chapel.ico"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TITLE "Install Chapel ${VERSION}"
!define MUI_WELCOMEPAGE_TEXT "Chapel is a private assistant that runs entirely on this computer: it chats with open-weight language models and summarises your documents, offline.$\r$\n$\r$\nIt is installed for you only and needs no administrator rights.$\r$\n$\r$\nChapel's window needs the Microsoft Edge WebView2 Runtime. Windows 11 and up-to-date Windows 10 have it; if yours does not, this installer will tell you where to get it."
!define MUI_FINISHPAGE_RUN "$INSTDIR\chapel.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open Chapel"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; WebView2 is there when any of its registrations names a version ("pv").
Function HasWebView2
  Push $0
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  StrCmp $0 "" 0 found
  ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  StrCmp $0 "" 0 found
  ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  StrCmp $0 "" 0 found
  StrCpy $0 "0"
  Goto done
found:
  StrCpy $0 "1"
done:
  Exch $0
FunctionEnd

Section "Chapel" SecMain
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; The app, its engine builds for newer CPUs (chapel-*.exe) and the licences.
  File "${SRCDIR}\chapel.exe"
  File /nonfatal "${SRCDIR}\chapel-*.exe"
  File "${SRCDIR}\chapel.ico"
  File "${SRCDIR}\THIRD_PARTY_LICENSES.txt"
  File "${SRCDIR}\README.txt"

  CreateShortcut "$SMPROGRAMS\Chapel.lnk" "$INSTDIR\chapel.exe" "" "$INSTDIR\chapel.ico" 0 SW_SHOWNORMAL "" "Chapel, a private assistant that runs on this computer"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "Chapel"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Chapel"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\chapel.ico"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"

  Call HasWebView2
  Pop $0
  StrCmp $0 "1" +2
  MessageBox MB_OK|MB_ICONINFORMATION "Chapel is installed, but its window needs the Microsoft Edge WebView2 Runtime, which this computer does not have yet.$\r$\n$\r$\nInstall the Evergreen WebView2 Runtime from Microsoft (search for $\"WebView2 Runtime$\" on microsoft.com), then open Chapel from the Start menu." /SD IDOK
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$SMPROGRAMS\Chapel.lnk"
  Delete "$INSTDIR\chapel.exe"
  Delete "$INSTDIR\chapel-*.exe"
  Delete "$INSTDIR\chapel.ico"
  Delete "$INSTDIR\THIRD_PARTY_LICENSES.txt"
  Delete "$INSTDIR\README.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd
