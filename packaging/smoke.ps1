#Requires -Version 7
<#
.SYNOPSIS
  Build the Windows bundle into packaging\dist\zoom-onboard\ and smoke-test it: the
  counterpart of packaging/build.sh.

.DESCRIPTION
  pwsh packaging\smoke.ps1 [-Python python] [-NoBuild]

  Checks, with a throwaway ZOOM_ONBOARD_HOME: zoom-onboard-cli.exe --self-test (a whole
  onboarding against the in-process sandbox), --version, --diagnostics (UTF-8 mode on); the
  windowed zoom-onboard.exe printing --version into a pipe; the wizard window starting
  (offscreen and on the native "windows" platform) with its icon and no warning, read back from
  the log file since the windowed program has no console; the version resource of both .exe
  files; the data and Qt plugins in the bundle. Exits non-zero on any failure.
#>
param(
    [string]$Python = "python",
    [switch]$NoBuild
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root
$Dist = Join-Path $Root "packaging\dist"
$Bundle = Join-Path $Dist "zoom-onboard"
$Gui = Join-Path $Bundle "zoom-onboard.exe"
$Cli = Join-Path $Bundle "zoom-onboard-cli.exe"
$Internal = Join-Path $Bundle "_internal"

function Fail {
    param([string]$Message)
    [Console]::Error.WriteLine("smoke.ps1: FAILED: $Message")
    exit 1
}

# Runs a program to its end (or kills it after $Seconds) and gives its exit code and output,
# read as UTF-8 (the bundle runs in UTF-8 mode).
function Invoke-Program {
    param(
        [string]$Exe,
        [string[]]$Arguments,
        [hashtable]$Environment = @{},
        [int]$Seconds = 180
    )
    $info = [System.Diagnostics.ProcessStartInfo]::new($Exe)
    foreach ($argument in $Arguments) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true  # empty: nothing here waits for input
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.StandardOutputEncoding = [System.Text.Encoding]::UTF8
    $info.StandardErrorEncoding = [System.Text.Encoding]::UTF8
    foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($info)
    $process.StandardInput.Close()
    $out = $process.StandardOutput.ReadToEndAsync()
    $err = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($Seconds * 1000)) {
        $process.Kill($true)
        Fail "$Exe $Arguments did not finish in $Seconds s"
    }
    $process.WaitForExit()
    [pscustomobject]@{ Code = $process.ExitCode; Out = $out.Result; Err = $err.Result }
}

$buildSeconds = 0
if (-not $NoBuild) {
    & $Python -c "import PyInstaller"
    if ($LASTEXITCODE) { Fail "PyInstaller is not installed (pip install --require-hashes -r packaging\requirements.lock)" }
    # A Qt that leaks references of None aborts the bundled app within a day's work.
    & $Python packaging\check_qt.py
    if ($LASTEXITCODE) { Fail "unsafe PySide6 for this Python (install from packaging\requirements.lock)" }
    $started = Get-Date
    & $Python -m PyInstaller --noconfirm --clean --log-level WARN `
        --distpath $Dist --workpath (Join-Path $Root "packaging\build") packaging\zoom-onboard.spec
    if ($LASTEXITCODE) { Fail "PyInstaller exited $LASTEXITCODE" }
    $buildSeconds = [int]((Get-Date) - $started).TotalSeconds
}
foreach ($exe in $Gui, $Cli) {
    if (-not (Test-Path $exe)) { Fail "$exe was not built" }
}

# The smoke tests never touch the real profile, history or Credential Manager entries.
$scratch = Join-Path ([System.IO.Path]::GetTempPath()) ("zoom-onboard-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $scratch | Out-Null
$homeDir = Join-Path $scratch "home"
$env:ZOOM_ONBOARD_HOME = $homeDir
try {
    "== zoom-onboard-cli.exe --self-test"
    $run = Invoke-Program $Cli @("--self-test")
    $run.Out
    if ($run.Code -ne 0) { [Console]::Error.WriteLine($run.Err); Fail "--self-test exited $($run.Code)" }
    if (([regex]::Matches($run.Out, "(?m)^self-test OK")).Count -ne 2) {
        Fail "--self-test did not print 'self-test OK' for both APIs"
    }

    "== zoom-onboard-cli.exe --version"
    $run = Invoke-Program $Cli @("--version") @{ QT_QPA_PLATFORM = "offscreen" }
    $version = $run.Out.Trim()
    $version
    if ($run.Code -ne 0 -or $version -notmatch "^zoom-onboard (\d+(\.\d+)*)") { Fail "--version printed: $version" }
    $number = $Matches[1]

    "== zoom-onboard-cli.exe --diagnostics (UTF-8 mode)"
    $run = Invoke-Program $Cli @("--diagnostics")
    if ($run.Code -ne 0) { Fail "--diagnostics exited $($run.Code)" }
    if ($run.Out -notmatch "(?m)^UTF-8 mode: on") { Fail "the bundle does not run in UTF-8 mode" }
    "UTF-8 mode: on"

    # A windowed program gets the pipe it is given: its output is kept (wizard/console.py
    # attaches to a console only for the streams that are missing).
    "== zoom-onboard.exe --version into a pipe"
    $run = Invoke-Program $Gui @("--version")
    if ($run.Code -ne 0 -or $run.Out.Trim() -ne $version) {
        Fail "the windowed exe printed '$($run.Out.Trim())' (stderr: $($run.Err.Trim())), not '$version'"
    }
    "$($run.Out.Trim())"

    # The windowed program has no console: what the window did is read back from its log.
    # (Qt's own warnings go to the debugger's output on Windows, not to the log: build.sh's
    # Linux runs check those.)
    function Test-Window {
        param([string]$Label, [hashtable]$Environment)
        "== wizard window ($Label)"
        $windowHome = Join-Path $scratch "home-$Label"
        $info = [System.Diagnostics.ProcessStartInfo]::new($Gui)
        foreach ($argument in "--sandbox", "-v") { $info.ArgumentList.Add($argument) }
        $info.UseShellExecute = $false
        $info.Environment["ZOOM_ONBOARD_HOME"] = $windowHome
        foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
        $process = [System.Diagnostics.Process]::Start($info)
        $logs = Join-Path $windowHome "logs"
        $text = ""
        for ($i = 0; $i -lt 100; $i++) {
            $files = @(Get-ChildItem -Path $logs -Filter "zoom-onboard-*.log" -ErrorAction SilentlyContinue)
            if ($files.Count) {
                $text = ($files | ForEach-Object { Get-Content -Raw -Encoding utf8 $_.FullName }) -join ""
                if ($text -match "in-process sandbox at") { break }
            }
            if ($process.HasExited) { break }
            Start-Sleep -Milliseconds 200
        }
        Start-Sleep -Seconds 1  # a warning logged while the first page is shown still counts
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.WaitForExit()
        $files = @(Get-ChildItem -Path $logs -Filter "zoom-onboard-*.log" -ErrorAction SilentlyContinue)
        $text = ($files | ForEach-Object { Get-Content -Raw -Encoding utf8 $_.FullName }) -join ""
        if ($text -notmatch "in-process sandbox at") { $text; Fail "the wizard did not start ($Label)" }
        $trouble = [regex]::Matches($text, "(?m)^\S+ \S+ (WARNING|ERROR|CRITICAL) .*$")
        if ($trouble.Count) { $trouble | ForEach-Object { $_.Value }; Fail "the wizard logged a warning at startup ($Label)" }
        if ($text -notmatch "window icon loaded") { Fail "the window icon did not load ($Label)" }
        "started with its icon, no warnings (read back from $($files[-1].Name))"
    }
    Test-Window "offscreen" @{ QT_QPA_PLATFORM = "offscreen" }
    Test-Window "windows" @{}

    "== version resource"
    foreach ($exe in $Gui, $Cli) {
        $info = (Get-Item $exe).VersionInfo
        if ($info.ProductVersion -ne $number -or $info.ProductName -ne "Zoom onboarding") {
            Fail "$exe has version '$($info.ProductVersion)' of '$($info.ProductName)', not $number"
        }
        "$(Split-Path -Leaf $exe): $($info.FileDescription) $($info.ProductVersion)"
    }

    "== bundled data"
    foreach ($file in "resources\zoom-onboard.svg", "resources\landing\zoom-onboard-answer.html",
        "PySide6\plugins\platforms\qwindows.dll", "PySide6\plugins\platforms\qoffscreen.dll",
        "PySide6\plugins\iconengines\qsvgicon.dll") {
        if (-not (Test-Path (Join-Path $Internal $file))) { Fail "$file is missing" }
    }
    # keyring finds its backends (the Credential Manager's among them) through entry points.
    $entryPoints = Get-ChildItem -Path $Internal -Filter "keyring-*.dist-info" |
        ForEach-Object { Join-Path $_.FullName "entry_points.txt" }
    if (-not ($entryPoints -and (Select-String -Quiet -Pattern "Windows" -Path $entryPoints))) {
        Fail "keyring's entry points (backends) are not in the bundle"
    }
    "icon, landing page, keyring entry points, Qt plugins: present"

    $size = (Get-ChildItem -Recurse -File $Bundle | Measure-Object -Sum Length).Sum / 1MB
    "== built in ${buildSeconds}s; size: $([int]$size) MB ($Bundle)"
}
finally {
    Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
}
