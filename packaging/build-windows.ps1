# Build the Windows one-folder app and its archive:  packaging\build-windows.ps1 [-Python py]
#
#   dist\MedBookings\MedBookings Desktop.exe   the window, no console (what the desk opens)
#   dist\MedBookings\medbookings.exe            the command line (demo, diagnostics, ...)
#   dist\MedBookings-<version>-windows-<arch>.zip
#
# Python must have the project installed with the package extra: pip install -e '.[package]'.
param([string]$Python = "")
$ErrorActionPreference = "Stop"
$Repo = Split-Path -Parent $PSScriptRoot
Set-Location $Repo
if (-not $Python) {
    if (Test-Path ".venv\Scripts\python.exe") { $Python = ".venv\Scripts\python.exe" } else { $Python = "python" }
}
$version = & $Python -c "import medbookings_desktop as m; print(m.__version__)"
if ($LASTEXITCODE -ne 0) { throw "medbookings_desktop is not installed for $Python" }
$arch = if ([Environment]::Is64BitOperatingSystem) { "x64" } else { "x86" }

Remove-Item -Recurse -Force -ErrorAction SilentlyContinue build\pyinstaller, dist\MedBookings
& $Python -m PyInstaller --noconfirm --clean --log-level WARN `
    --workpath build\pyinstaller --distpath dist packaging\medbookings.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed ($LASTEXITCODE)" }

$archive = "dist\MedBookings-$version-windows-$arch.zip"
Remove-Item -Force -ErrorAction SilentlyContinue $archive
Compress-Archive -Path dist\MedBookings -DestinationPath $archive
Write-Host "built dist\MedBookings and $archive"
