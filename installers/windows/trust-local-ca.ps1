<#
.SYNOPSIS
  Trusts each user's Postseal local CA machine-wide (LocalMachine\Root), checks that it is,
  or takes those CAs out again.

.DESCRIPTION
  Outlook's add-in pages come from the agent at https://localhost:8743, and Office refuses a
  certificate Windows does not trust. Each user's agent makes its own certificate authority at
  its first start (agent/ingress/local_tls.py), in
  %LOCALAPPDATA%\postseal\tls\local-ca.pem: after the MSI ran, which is why the MSI cannot
  trust it, and why a standard user cannot either (LocalMachine\Root needs an administrator;
  CurrentUser\Root asks the user and is often forbidden by policy).

  Run it as SYSTEM: an Intune remediation (this script with -Detect as the detection script,
  without switches as the remediation, every hour) or a Group Policy scheduled task at logon.

  A file in a user's profile is writable by that user, so a certificate is trusted only if it
  is exactly what the agent makes: a CA whose critical name constraints are, byte for byte,
  localhost, 127.0.0.1 and ::1. Even a planted file can then vouch for no real site.

.PARAMETER Detect
  Change nothing; exit 1 if some user's Postseal CA is not trusted yet (Intune: "issue found").
  detect-local-ca.ps1 is this file with -Detect on by default, for Intune's detection script
  slot, which passes no arguments (a test keeps the two files otherwise identical).

.PARAMETER Remove
  Take every Postseal local CA out of LocalMachine\Root (after uninstalling Postseal).
#>
param([switch]$Detect, [switch]$Remove)
$ErrorActionPreference = 'Stop'

# DER of the NameConstraints the agent writes (tests/installers/test_windows_msi.py checks it).
$PostsealConstraints = '303FA03D300B82096C6F63616C686F7374300A87087F000001FFFFFFFF3022872000000000000000000000000000000001FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'

function Test-PostsealCa([System.Security.Cryptography.X509Certificates.X509Certificate2]$Cert) {
    $nc = $Cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.30' }
    $bc = $Cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.19' }
    if (-not $nc -or -not $nc.Critical -or -not $bc -or -not $bc.CertificateAuthority) { return $false }
    return (([BitConverter]::ToString($nc.RawData)) -replace '-', '') -eq $PostsealConstraints
}

function Read-Pem([string]$Path) {
    # Exactly one PEM certificate; anything else in the file is refused, not guessed at.
    $text = [IO.File]::ReadAllText($Path)
    $m = [regex]::Match($text, '^-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----\s*$')
    if (-not $m.Success) { throw 'not one PEM certificate' }
    $der = [Convert]::FromBase64String(($m.Groups[1].Value -replace '\s', ''))
    return New-Object System.Security.Cryptography.X509Certificates.X509Certificate2(, $der)
}

$store = New-Object System.Security.Cryptography.X509Certificates.X509Store('Root', 'LocalMachine')
$store.Open($(if ($Detect) { 'ReadOnly' } else { 'ReadWrite' }))
try {
    if ($Remove) {
        foreach ($cert in @($store.Certificates)) {
            if (Test-PostsealCa $cert) { $store.Remove($cert); Write-Output "removed $($cert.Thumbprint)" }
        }
        exit 0
    }
    $missing = 0
    foreach ($userProfile in Get-CimInstance Win32_UserProfile | Where-Object { -not $_.Special -and $_.LocalPath }) {
        $pem = Join-Path $userProfile.LocalPath 'AppData\Local\postseal\tls\local-ca.pem'
        if (-not (Test-Path -LiteralPath $pem -PathType Leaf)) { continue }  # agent not started yet
        try { $cert = Read-Pem $pem } catch { Write-Output "refused ${pem}: $($_.Exception.Message)"; continue }
        if (-not (Test-PostsealCa $cert)) { Write-Output "refused ${pem}: not a Postseal local CA (localhost only)"; continue }
        if ($store.Certificates.Find('FindByThumbprint', $cert.Thumbprint, $false).Count -gt 0) { continue }
        if ($Detect) { Write-Output "not trusted yet: $pem"; $missing++; continue }
        $store.Add($cert)
        Write-Output "trusted $pem ($($cert.Thumbprint))"
    }
    if ($Detect -and $missing -gt 0) { exit 1 }
    exit 0
} finally {
    $store.Close()
}
