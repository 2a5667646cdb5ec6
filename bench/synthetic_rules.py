#!/usr/bin/env python3
"""Writes N synthetic but realistic rdp-doctor rules, and the same pages for Hugo and mdBook.

Usage: synthetic_rules.py N OUT_DIR [--seed S] [--catalog FILE] [--no-examples]

OUT_DIR/rules/<category>/<id>.yaml   N rules that load in rdp-doctor (`rules check OUT_DIR`):
                                     a title, a summary, catalog codes, text, regex and code
                                     signatures, 2-4 causes, 3-5 steps with PowerShell, cmd,
                                     registry, Group Policy, bash or Azure CLI commands,
                                     references and 1-2 example pastes.
OUT_DIR/hugo/                        a minimal Hugo site with its own theme (baseof, single,
                                     list, a JSON search index for the home page) and
                                     content/rules/<id>.md; `categories` and `codes` are
                                     taxonomies, so Hugo writes a page per category and per code.
OUT_DIR/mdbook/                      book.toml, src/SUMMARY.md (a chapter per category, the
                                     rules under it) and src/rules/<id>.md.

Each Markdown page carries what rdp-doctor's rule page shows, in its order: title, category,
summary, codes with their names, causes, steps with their commands, examples and references.
Template variables are replaced the way rdp-doctor's pages show them ({{ host }} becomes "the
remote computer" in prose and <remote-computer> in commands).

Codes come from the real catalog: FILE is the JSON of `rdp-doctor catalog list --format json`;
without --catalog the script runs target/release/rdp-doctor, or rdp-doctor from PATH.
The output depends only on N, the seed and the catalog. Every rule has a status code of its
own (0x8A..., in a regex signature and in its examples), so its examples rank it first even
among thousands of rules built from the same phrases.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap

# --- vocabulary ---------------------------------------------------------------------------
# Per category: subjects, faults as (phrase in a title, text of the error message users
# paste), causes, and steps as (title, side, body, {command kind: text}). Texts may use
# {{ host }}, which the site replaces, and {ctx}, a context the generator picks.

CATEGORIES = {
    "certificate": {
        "subjects": ["The RDP listener certificate", "The RD Gateway certificate",
                     "The issuing CA certificate", "The self-signed Remote Desktop certificate",
                     "The RD Web Access certificate", "The broker's publishing certificate"],
        "faults": [("has expired", "The certificate has expired or is not yet valid"),
                   ("is issued to another name", "The name on the certificate does not match the computer name"),
                   ("is not trusted by the client", "The certificate is not from a trusted certifying authority"),
                   ("cannot be checked for revocation", "The revocation status of the certificate could not be determined"),
                   ("lacks the Server Authentication usage", "The certificate is not valid for the requested usage"),
                   ("has no accessible private key", "The server's authentication credentials could not be read")],
        "causes": ["The certificate bound to the listener was replaced {ctx} and the new one is not trusted on the client.",
                   "Automatic enrollment renewed the certificate but the listener still points to the old thumbprint.",
                   "The client cannot reach the CRL distribution point named in the certificate, so revocation checking fails.",
                   "NETWORK SERVICE lost read access to the private key after the certificate was re-imported.",
                   "Users connect to {{ host }} with an alias that the certificate's Subject Alternative Name does not list."],
        "steps": [("Look at the certificate the listener presents", "server",
                   "Compare the thumbprint bound to RDP-Tcp with the certificates in the Personal and Remote Desktop stores of {{ host }}, and note the expiry date and names.",
                   {"powershell": "$ts = Get-CimInstance -Namespace root\\cimv2\\TerminalServices -ClassName Win32_TSGeneralSetting -Filter \"TerminalName='RDP-tcp'\"\n$ts.SSLCertificateSHA1Hash\nGet-ChildItem Cert:\\LocalMachine\\My, 'Cert:\\LocalMachine\\Remote Desktop' | Format-List Subject, DnsNameList, NotAfter, Thumbprint"}),
                  ("Bind a valid certificate to the listener", "server",
                   "Import a certificate whose names cover every name clients use, then bind its thumbprint. Note the old thumbprint first so you can bind it again.",
                   {"cmd": "wmic /namespace:\\\\root\\cimv2\\TerminalServices PATH Win32_TSGeneralSetting Set SSLCertificateSHA1Hash=\"<thumbprint>\"",
                    "registry": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\nSSLCertificateSHA1Hash (REG_BINARY) = <thumbprint>"}),
                  ("Check that the client trusts the issuing CA", "client",
                   "Open the certificate from the warning, look at the certification path and check that the root CA is in the client's Trusted Root store.",
                   {"powershell": "Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object Subject -like '*<CA name>*'\ncertutil -verify -urlfetch <exported certificate>.cer"}),
                  ("Give NETWORK SERVICE access to the private key", "server",
                   "In certlm.msc open Personal, select the certificate, All Tasks, Manage Private Keys, and grant Read to NETWORK SERVICE; then restart the Remote Desktop Configuration service.",
                   {"powershell": "Restart-Service -Name SessionEnv -Force"})],
    },
    "nla_credssp": {
        "subjects": ["Network Level Authentication", "The CredSSP handshake", "Credential delegation",
                     "The NTLM fallback of NLA", "Kerberos authentication for NLA"],
        "faults": [("fails with an encryption oracle error", "This could be due to CredSSP encryption oracle remediation"),
                   ("is refused by policy", "Your system administrator does not allow the use of saved credentials"),
                   ("cannot reach a domain controller", "The remote computer requires Network Level Authentication, which your computer does not support"),
                   ("rejects the delegated credentials", "The function requested is not supported"),
                   ("fails after a password change", "An authentication error has occurred")],
        "causes": ["The client and {{ host }} are patched to different CredSSP versions and one side enforces updated clients.",
                   "A Group Policy {ctx} disables delegation of fresh credentials to TERMSRV/*.",
                   "The session host {{ host }} cannot contact a domain controller to validate the NLA token.",
                   "The computer account of {{ host }} lost its secure channel with the domain."],
        "steps": [("Install the same CredSSP update on both sides", "server",
                   "Check the installed updates on {{ host }} and the client; both should have the May 2018 CredSSP fix or a later cumulative update.",
                   {"powershell": "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5"}),
                  ("Check the encryption oracle remediation setting", "client",
                   "The policy Encryption Oracle Remediation must not be set to Force Updated Clients while the server is unpatched.",
                   {"registry": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters\nAllowEncryptionOracle (REG_DWORD) = 1",
                    "group_policy": "Computer Configuration > Administrative Templates > System > Credentials Delegation > Encryption Oracle Remediation"}),
                  ("Test the secure channel of the server", "server",
                   "A broken secure channel makes NLA fail for every domain account; repair it with a domain administrator account.",
                   {"powershell": "Test-ComputerSecureChannel -Verbose\nTest-ComputerSecureChannel -Repair -Credential <domain>\\<admin>",
                    "cmd": "nltest /sc_query:<domain>"}),
                  ("Allow delegation of fresh credentials", "client",
                   "Add the remote computer's TERMSRV service name to the servers the client may delegate fresh credentials to.",
                   {"group_policy": "Computer Configuration > Administrative Templates > System > Credentials Delegation > Allow delegating fresh credentials"})],
    },
    "tls_security_layer": {
        "subjects": ["The TLS handshake with the RDP listener", "The Schannel cipher negotiation",
                     "The RDP security layer negotiation", "TLS 1.2 on the session host"],
        "faults": [("fails because no cipher suite is shared", "The client and server cannot communicate, because they do not possess a common algorithm"),
                   ("is refused by a FIPS-only server", "The client could not establish a connection to the remote computer because of an encryption error"),
                   ("stops at TLS 1.0", "An internal error has occurred"),
                   ("expects SSL but the client offers RDP security", "The server requires SSL and the client does not support it")],
        "causes": ["Cipher suites were hardened on {{ host }} {ctx}, leaving none that the client offers.",
                   "TLS 1.0 and 1.1 are disabled on the client while {{ host }} only speaks TLS 1.0.",
                   "The listener's SecurityLayer is 2 (SSL) and an old client only offers standard RDP security.",
                   "FIPS-compliant algorithms are enforced on one side only."],
        "steps": [("List the protocols and cipher suites enabled on the server", "server",
                   "Compare the enabled TLS versions and suites on {{ host }} with what the client supports.",
                   {"powershell": "Get-TlsCipherSuite | Select-Object -First 20 Name\nGet-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server'"}),
                  ("Enable TLS 1.2 for the server side of Schannel", "server",
                   "Set Enabled to 1 and DisabledByDefault to 0 under the TLS 1.2 Server key, then restart the computer.",
                   {"registry": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server\nEnabled (REG_DWORD) = 1\nDisabledByDefault (REG_DWORD) = 0"}),
                  ("Check the listener's security layer", "server",
                   "SecurityLayer 0 is RDP security, 1 negotiate, 2 TLS; negotiate is the safe default.",
                   {"cmd": "reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\" /v SecurityLayer"}),
                  ("Test the handshake from a Linux machine", "client",
                   "openssl shows which protocol and cipher the listener accepts once the RDP negotiation is skipped.",
                   {"bash": "xfreerdp /v:{{ host }} /sec:tls /log-level:DEBUG +auth-only /u:<user>\nnmap -p 3389 --script rdp-enum-encryption {{ host }}"})],
    },
    "network_unreachable": {
        "subjects": ["TCP port 3389", "The route to the session host", "The site-to-site VPN",
                     "The Windows Firewall rule for Remote Desktop", "UDP transport"],
        "faults": [("is blocked by a firewall", "Remote Desktop can't connect to the remote computer for one of these reasons"),
                   ("times out", "The connection has timed out"),
                   ("drops under load", "Your Remote Desktop Services session has ended, possibly for one of the following reasons"),
                   ("is reachable only from the office", "This computer can't connect to the remote computer")],
        "causes": ["A firewall between the client and {{ host }} drops TCP 3389 {ctx}.",
                   "The inbound rule Remote Desktop - User Mode (TCP-In) is disabled on {{ host }}.",
                   "The listener of {{ host }} uses a non-default port and the client connects to 3389.",
                   "An unstable link or an MTU problem cuts the connection after the handshake."],
        "steps": [("Test the port from the client", "client",
                   "A failed TCP test means the problem is on the network path or the listener, not the credentials.",
                   {"powershell": "Test-NetConnection -ComputerName {{ host }} -Port 3389 -InformationLevel Detailed",
                    "bash": "nc -vz {{ host }} 3389"}),
                  ("Check the firewall rule on the server", "server",
                   "Enable the Remote Desktop rule group and check that the profile in use allows it.",
                   {"powershell": "Get-NetFirewallRule -DisplayGroup 'Remote Desktop' | Format-Table DisplayName, Enabled, Profile\nEnable-NetFirewallRule -DisplayGroup 'Remote Desktop'"}),
                  ("Check the listener port", "server",
                   "The port lives in the RDP-Tcp key; clients must use HOST:PORT when it is not 3389.",
                   {"registry": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\nPortNumber (REG_DWORD) = 3389",
                    "cmd": "netstat -ano | findstr :3389"}),
                  ("Turn off UDP to rule out the transport", "client",
                   "If TCP alone is stable the UDP path is filtered; fix the network or keep UDP off for this client.",
                   {"registry": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client\nfClientDisableUDP (REG_DWORD) = 1"})],
    },
    "dns": {
        "subjects": ["The host name of the session host", "The RD Gateway name", "Split-brain DNS",
                     "The DNS suffix search list"],
        "faults": [("does not resolve", "Remote Desktop can't find the computer"),
                   ("resolves to a stale address", "This computer can't connect to the remote computer"),
                   ("resolves only inside the network", "The remote computer could not be found")],
        "causes": ["The A record of {{ host }} is missing or was scavenged {ctx}.",
                   "The client's DNS suffix search list does not include the domain of {{ host }}.",
                   "An old entry in the hosts file or the DNS cache points to a previous address."],
        "steps": [("Resolve the name from the client", "client",
                   "Compare the answer with the address {{ host }} really has.",
                   {"powershell": "Resolve-DnsName {{ host }}\nClear-DnsClientCache",
                    "cmd": "nslookup {{ host }}\nipconfig /flushdns"}),
                  ("Check the hosts file", "client",
                   "A line for {{ host }} in the hosts file wins over DNS.",
                   {"cmd": "findstr /i \"{{ host }}\" %SystemRoot%\\System32\\drivers\\etc\\hosts"}),
                  ("Register the server's record again", "server",
                   "Make {{ host }} register its A record again and check it on the DNS server.",
                   {"cmd": "ipconfig /registerdns",
                    "powershell": "Get-DnsServerResourceRecord -ZoneName <zone> -Name <short name>"})],
    },
    "gateway": {
        "subjects": ["The RD Gateway connection authorization policy", "The RD Gateway resource authorization policy",
                     "The RD Gateway HTTP transport", "The RD Gateway's NPS server", "The RD Gateway farm"],
        "faults": [("denies the user", "Your user account is not authorized to access the RD Gateway"),
                   ("does not list the target computer", "Remote Desktop can't connect to the remote computer because the RD Gateway server address requested and the certificate subject name do not match"),
                   ("fails the HTTP handshake", "Your computer can't connect to the remote computer because the Remote Desktop Gateway server is temporarily unavailable"),
                   ("times out waiting for MFA", "The RD Gateway server could not authenticate the user")],
        "causes": ["The user is not in a group named by the gateway's CAP {ctx}.",
                   "The RAP lists computer groups that do not contain {{ host }}.",
                   "A load balancer in front of the gateway farm does not keep RDG_IN_DATA and RDG_OUT_DATA on one member.",
                   "The NPS extension for MFA waits longer than the gateway's RADIUS timeout."],
        "steps": [("Read the gateway's events for the user", "server",
                   "The TerminalServices-Gateway operational log names the policy that denied the connection.",
                   {"powershell": "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-Gateway/Operational' -MaxEvents 50 | Where-Object Id -in 200,201,302,303,304 | Format-List TimeCreated, Id, Message"}),
                  ("Check the CAP and RAP groups", "server",
                   "The user must be in a CAP group and {{ host }} in a RAP computer group.",
                   {"powershell": "Import-Module RemoteDesktopServices\nGet-ChildItem RDS:\\GatewayServer\\CAP\nGet-ChildItem RDS:\\GatewayServer\\RAP"}),
                  ("Raise the RADIUS timeout for MFA", "server",
                   "Give the NPS extension time to reach the user's phone: 60 seconds is common.",
                   {"group_policy": "NPS console > RADIUS Clients and Servers > Remote RADIUS Server Groups > TS GATEWAY SERVER GROUP > Properties > Load Balancing > Number of seconds without response"}),
                  ("Connect without the gateway to isolate it", "client",
                   "If the direct connection works from the inside, the problem is the gateway path.",
                   {"cmd": "mstsc /v:{{ host }}"})],
    },
    "credentials": {
        "subjects": ["The saved credential", "The smart card sign-in", "The user name format",
                     "Windows Hello for Business", "The cached password"],
        "faults": [("is rejected", "Your credentials did not work"),
                   ("fails after a password change", "The logon attempt failed"),
                   ("uses the wrong domain", "The user name or password is incorrect"),
                   ("cannot be read from the card", "The requested key container does not exist on the smart card")],
        "causes": ["Credential Manager keeps an old password for {{ host }}.",
                   "The user types a local user name while {{ host }} expects DOMAIN\\user {ctx}.",
                   "The smart card certificate is not mapped to the user's account.",
                   "The account signs in with Windows Hello, which the remote computer cannot use for NLA."],
        "steps": [("Delete the saved credentials", "client",
                   "Remove the entry Credential Manager keeps for {{ host }} and type the password again.",
                   {"cmd": "cmdkey /list:TERMSRV/{{ host }}\ncmdkey /delete:TERMSRV/{{ host }}"}),
                  ("Sign in with the full user name", "client",
                   "Use DOMAIN\\user or user@domain; for a local account use .\\user or {{ host }}\\user.",
                   {}),
                  ("Test the password against the domain", "server",
                   "A failed bind shows the password or the account is the problem, not Remote Desktop.",
                   {"powershell": "Get-ADUser <user> -Properties LockedOut, PasswordLastSet, PasswordExpired"})],
    },
    "account_policy": {
        "subjects": ["The user's account", "The password policy", "The Kerberos clock check",
                     "The logon hours restriction"],
        "faults": [("is locked out", "As a security precaution, the user account has been locked out"),
                   ("has expired", "The user account has expired"),
                   ("requires a password change", "You must change your password before logging on the first time"),
                   ("rejects logons outside allowed hours", "Your account has time restrictions that keep you from signing in right now")],
        "causes": ["A device with an old password keeps locking the account {ctx}.",
                   "The account's expiry date passed and nobody extended it.",
                   "The password must be changed at next logon, which NLA cannot do.",
                   "The clocks of the client and the domain controller differ by more than five minutes."],
        "steps": [("Unlock the account and find the source", "server",
                   "Event 4740 on the PDC emulator names the computer that locked the account.",
                   {"powershell": "Unlock-ADAccount -Identity <user>\nGet-WinEvent -ComputerName <PDC> -FilterHashtable @{LogName='Security'; Id=4740} -MaxEvents 20"}),
                  ("Change the password somewhere else first", "client",
                   "Sign in to a workstation or the self-service portal, change the password, then connect again.",
                   {}),
                  ("Check the time on both sides", "client",
                   "Kerberos allows five minutes of difference.",
                   {"cmd": "w32tm /stripchart /computer:<domain controller> /samples:3\nw32tm /resync"})],
    },
    "authorization_denied": {
        "subjects": ["The Remote Desktop Users group", "The Allow log on through Remote Desktop Services right",
                     "The session permissions of RDP-Tcp", "The user group list of the RDS collection"],
        "faults": [("does not include the user", "To sign in remotely, you need the right to sign in through Remote Desktop Services"),
                   ("is overridden by a deny right", "The connection was denied because the user account is not authorized for remote login"),
                   ("was reset by a hardening baseline", "The requested session access is denied")],
        "causes": ["The user is not a member of Remote Desktop Users on {{ host }} {ctx}.",
                   "A security baseline adds the user's group to Deny log on through Remote Desktop Services.",
                   "The collection lists only another group."],
        "steps": [("Add the user to Remote Desktop Users", "server",
                   "Members of this local group may sign in through Remote Desktop.",
                   {"powershell": "Add-LocalGroupMember -Group 'Remote Desktop Users' -Member '<domain>\\<user>'\nGet-LocalGroupMember -Group 'Remote Desktop Users'",
                    "cmd": "net localgroup \"Remote Desktop Users\" <domain>\\<user> /add"}),
                  ("Read the effective user rights", "server",
                   "Export the rights and look for SeRemoteInteractiveLogonRight and SeDenyRemoteInteractiveLogonRight.",
                   {"cmd": "secedit /export /cfg %TEMP%\\rights.inf /areas USER_RIGHTS\nfindstr /i RemoteInteractive %TEMP%\\rights.inf",
                    "group_policy": "Computer Configuration > Windows Settings > Security Settings > Local Policies > User Rights Assignment > Allow log on through Remote Desktop Services"}),
                  ("Check the collection's user groups", "server",
                   "In an RDS deployment the collection decides who may connect.",
                   {"powershell": "Get-RDSessionCollectionConfiguration -CollectionName <collection> -UserGroup"})],
    },
    "licensing": {
        "subjects": ["The RD Licensing grace period", "The license server", "The Per Device CAL pool",
                     "The licensing mode of the session host"],
        "faults": [("has ended", "The remote session was disconnected because there are no Remote Desktop License Servers available to provide a license"),
                   ("cannot be reached", "The remote session was disconnected because the Remote Desktop client access license stored on this computer has been modified"),
                   ("is used up", "The remote session was disconnected because there are no Remote Desktop client access licenses available for this computer")],
        "causes": ["The 120-day grace period of {{ host }} ended {ctx} and no license server is configured.",
                   "The licensing mode (Per User or Per Device) differs from the CALs installed.",
                   "The license server is not activated or not in the Terminal Server License Servers group."],
        "steps": [("Point the host at the license server", "server",
                   "Set the license server and the licensing mode by policy.",
                   {"registry": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\nLicenseServers (REG_SZ) = <license server>\nLicensingMode (REG_DWORD) = 4",
                    "group_policy": "Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Licensing > Use the specified Remote Desktop license servers"}),
                  ("Run the licensing diagnoser", "server",
                   "lsdiag.msc lists what the session host thinks about its license servers.",
                   {"cmd": "lsdiag.msc"}),
                  ("Delete the client's cached license", "client",
                   "A damaged MSLicensing key makes the client present a bad license.",
                   {"cmd": "reg delete \"HKLM\\SOFTWARE\\Microsoft\\MSLicensing\" /f"})],
    },
    "session_limit": {
        "subjects": ["The session limit of the host", "The idle session time limit",
                     "The single-session restriction", "Another user's session"],
        "faults": [("is reached", "The remote computer has ended the connection because the maximum number of connections was reached"),
                   ("ends idle sessions", "The remote session was disconnected because the session idle time limit was reached"),
                   ("replaces the existing session", "Your Remote Desktop Services session has ended because another user connected to the remote computer")],
        "causes": ["The host {{ host }} runs a client Windows edition that allows one session {ctx}.",
                   "A policy ends idle sessions after a few minutes.",
                   "The same user connects from two devices and the second connection takes over the session."],
        "steps": [("List the sessions on the host", "server",
                   "Log off disconnected sessions that hold a seat.",
                   {"cmd": "qwinsta /server:{{ host }}\nlogoff <session id> /server:{{ host }}"}),
                  ("Check the time limits", "server",
                   "Set limits that fit the way people work.",
                   {"group_policy": "Computer Configuration > Administrative Templates > Windows Components > Remote Desktop Services > Remote Desktop Session Host > Session Time Limits"}),
                  ("Check the connection limit", "server",
                   "MaxInstanceCount limits the sessions of the listener.",
                   {"registry": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\nMaxInstanceCount (REG_DWORD)"})],
    },
    "server_resource": {
        "subjects": ["The session host's memory", "The graphics subsystem", "The user profile service",
                     "The host pool capacity"],
        "faults": [("runs out", "The remote computer is low on memory"),
                   ("crashes during logon", "Your Remote Desktop Services session ended because the remote computer's logon process failed"),
                   ("has no free session host", "We couldn't connect because there are currently no available resources")],
        "causes": ["A process on {{ host }} leaks memory {ctx}.",
                   "The display driver fails to start a session with the requested resolution.",
                   "All hosts of the pool are drained, stopped or at their session limit."],
        "steps": [("Look at memory and the largest processes", "server",
                   "A host with less than 10% free memory refuses new sessions.",
                   {"powershell": "Get-CimInstance Win32_OperatingSystem | Select-Object FreePhysicalMemory, TotalVisibleMemorySize\nGet-Process | Sort-Object WorkingSet64 -Descending | Select-Object -First 10 Name, Id, WorkingSet64"}),
                  ("Check the session hosts of the pool", "server",
                   "Hosts must be Available and allow new sessions.",
                   {"azure_cli": "az desktopvirtualization sessionhost list --host-pool-name <pool> -g <resource-group> -o table"}),
                  ("Read the logon errors", "server",
                   "Winlogon and User Profile Service events explain a failed logon.",
                   {"powershell": "Get-WinEvent -LogName Application -MaxEvents 100 | Where-Object ProviderName -in 'Microsoft-Windows-Winlogon','Microsoft-Windows-User Profiles Service'"})],
    },
    "protocol_error": {
        "subjects": ["The RDP data stream", "The bulk compressor", "The virtual channel", "The server redirection packet"],
        "faults": [("is corrupted", "Because of a protocol error, this session will be disconnected"),
                   ("fails to decompress", "The client could not decompress data from the server"),
                   ("carries an unexpected PDU", "Because of a protocol error detected at the client, this session will be disconnected")],
        "causes": ["A network device rewrites or truncates RDP packets {ctx}.",
                   "A third-party virtual channel sends data the client does not expect.",
                   "The client and {{ host }} disagree on compression after a partial update."],
        "steps": [("Turn off bulk compression", "client",
                   "Add a line to the .rdp file and connect again.",
                   {"cmd": "echo compression:i:0 >> <connection>.rdp"}),
                  ("Disable virtual channels one at a time", "client",
                   "Turn off clipboard, drives and printers in the Local Resources tab to find the channel at fault.",
                   {}),
                  ("Capture the connection", "client",
                   "A packet capture shows where the stream breaks.",
                   {"cmd": "pktmon start --capture --comp nics -f %TEMP%\\rdp.etl\npktmon stop"})],
    },
    "client_version": {
        "subjects": ["The Remote Desktop client", "The Windows App on macOS", "FreeRDP 2", "The web client"],
        "faults": [("is too old for the host", "The remote computer requires a newer version of the client"),
                   ("broke after an update", "An internal error has occurred"),
                   ("does not support the feature", "This version of the client does not support this feature")],
        "causes": ["The client has not been updated {ctx} and lacks a protocol version the host requires.",
                   "A client update changed a default that the host does not accept.",
                   "The platform is no longer supported by the client."],
        "steps": [("Update the client", "client",
                   "Install the current version and connect again.",
                   {"powershell": "winget upgrade Microsoft.RemoteDesktopClient",
                    "bash": "sudo apt-get install --only-upgrade freerdp2-x11"}),
                  ("Check the client version", "client",
                   "Note the version for the ticket.",
                   {"cmd": "mstsc /?",
                    "bash": "xfreerdp --version"}),
                  ("Roll back the last update", "client",
                   "If the update broke the connection, uninstall it and pause updates until a fix ships.",
                   {"cmd": "wusa /uninstall /kb:<number>"})],
    },
    "internal_error": {
        "subjects": ["The Remote Desktop client", "The session host's RDP stack", "xrdp", "The connection broker"],
        "faults": [("reports an internal error", "An internal error has occurred"),
                   ("fails without a reason", "Remote Desktop Connection has stopped working"),
                   ("logs an unknown error", "Some problem occurred")],
        "causes": ["The client cannot start its TLS stack {ctx}.",
                   "A corrupted .rdp file carries settings the client cannot parse.",
                   "The service on {{ host }} failed and restarted during the connection."],
        "steps": [("Read the client's event log", "client",
                   "The RemoteDesktopServices-RdpCoreTS and TerminalServices-ClientActiveXCore logs show what failed.",
                   {"powershell": "Get-WinEvent -LogName 'Microsoft-Windows-TerminalServices-RDPClient/Operational' -MaxEvents 30 | Format-List TimeCreated, Id, Message"}),
                  ("Connect with a fresh connection file", "client",
                   "Delete Default.rdp in Documents, which mstsc writes again.",
                   {"cmd": "del \"%USERPROFILE%\\Documents\\Default.rdp\""}),
                  ("Restart the Remote Desktop services", "server",
                   "This ends open sessions on {{ host }}.",
                   {"powershell": "Restart-Service -Name TermService -Force"})],
    },
    "other": {
        "subjects": ["The remote app", "The display configuration", "The broker redirection", "The Azure AD sign-in"],
        "faults": [("closes at once", "The remote session was disconnected"),
                   ("sends the user to the wrong host", "The connection was redirected to another computer"),
                   ("asks again for credentials", "Sign in to your account")],
        "causes": ["The published application exits {ctx} and the session ends with it.",
                   "The broker redirects to a host whose name the client cannot resolve.",
                   "Conditional access requires a compliant device that the client is not."],
        "steps": [("Start the app in a full desktop", "server",
                   "An error dialog that a RemoteApp hides shows up in a desktop session.",
                   {}),
                  ("Check the broker's redirection", "server",
                   "Look at which host the broker picked.",
                   {"powershell": "Get-RDUserSession -ConnectionBroker <broker> | Where-Object UserName -eq '<user>'"}),
                  ("Check the sign-in logs", "server",
                   "Entra ID sign-in logs give the reason of a failed sign-in.",
                   {"azure_cli": "az rest --method get --url 'https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=10'"})],
    },
}

CONTEXTS = [
    "after the monthly cumulative update", "on Windows Server 2022 session hosts",
    "when users connect over the VPN", "from the macOS Windows App", "for members of nested groups",
    "after an in-place upgrade", "on pooled Azure Virtual Desktop hosts",
    "from thin clients running FreeRDP 2", "after the domain controllers were replaced",
    "on computers joined to Entra ID", "after a certificate renewal", "in a branch office",
    "when the connection goes through RD Gateway", "on Windows 11 24H2 clients",
    "after a firewall change", "at the start of the working day", "on hosts cloned from one image",
    "from the web client", "with a smart card", "behind a load balancer",
]

# Steps every category may use.
GENERIC_STEPS = [
    ("Reproduce with mstsc and note the exact message", "client",
     "Write down the message, the error code and the extended code from the dialog; the codes tell causes apart.",
     {"cmd": "mstsc /v:{{ host }}"}),
    ("Read the RemoteDesktopServices-RdpCoreTS log", "server",
     "The log on {{ host }} shows the connection attempt and where it stopped.",
     {"powershell": "Get-WinEvent -LogName 'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational' -MaxEvents 40 | Format-Table TimeCreated, Id, Message -Wrap"}),
    ("Check that Remote Desktop is enabled", "server",
     "fDenyTSConnections must be 0 and TermService running.",
     {"registry": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\nfDenyTSConnections (REG_DWORD) = 0",
      "powershell": "Get-Service TermService, SessionEnv, UmRdpService"}),
    ("Run the command on an Azure VM without signing in", "server",
     "When nobody can sign in to the VM, run the check through Run Command.",
     {"azure_run_command": "Get-Service TermService; Get-NetFirewallRule -DisplayGroup 'Remote Desktop' | Select-Object DisplayName, Enabled",
      "azure_cli": "az vm run-command invoke --command-id RunPowerShellScript --name <vm> -g <resource-group> --scripts 'Get-Service TermService'"}),
    ("Collect a connection trace", "client",
     "Send the trace with the ticket if the cause is still unclear.",
     {"bash": "xfreerdp /v:{{ host }} /log-level:TRACE /log-filters:com.freerdp.core:TRACE +auth-only /u:<user> 2>&1 | tee rdp-trace.txt"}),
]

REFERENCES = [
    ("Remote Desktop can't connect to the remote computer (Microsoft Learn)",
     "https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/remote-desktop-cannot-connect-remote-computer"),
    ("Troubleshoot connections to Remote Desktop Services", "https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/troubleshoot-remote-desktop-connections"),
    ("Ports that are used by Remote Desktop Services", "https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/ports-used-by-rds"),
    ("Remote Desktop listener certificate configurations", "https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/remote-desktop-listener-certificate-configurations"),
    ("CredSSP updates for CVE-2018-0886", "https://support.microsoft.com/help/4093492"),
    ("License Remote Desktop session hosts", "https://learn.microsoft.com/en-us/windows-server/remote/remote-desktop-services/rds-license-session-hosts"),
    ("Remote Desktop Gateway role", "https://learn.microsoft.com/en-us/windows-server/remote/remote-desktop-services/rd-gateway-role"),
    ("Troubleshoot Azure Virtual Desktop connections", "https://learn.microsoft.com/en-us/azure/virtual-desktop/troubleshoot-client-windows"),
    ("IMsTscAxEvents::OnDisconnected method", "https://learn.microsoft.com/en-us/windows/win32/termserv/imstscaxevents-ondisconnected"),
    ("ExtendedDisconnectReasonCode enumeration", "https://learn.microsoft.com/en-us/windows/win32/termserv/extendeddisconnectreasoncode"),
    ("MS-RDPBCGR: Set Error Info PDU", "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rdpbcgr/a21a1bd9-2303-49c1-90ec-3932435c248c"),
    ("FreeRDP wiki: command line interface", "https://github.com/FreeRDP/FreeRDP/wiki/CommandLineInterface"),
]

CLIENT_LINES = [
    "Remote Desktop Connection",
    "[ERROR][com.freerdp.core] - freerdp_post_connect failed",
    "Remote Desktop Connection\r\n---------------------------",
    "Microsoft Remote Desktop (Windows App) 11.0.3",
]

# The catalog families whose codes rules write as `prefix:code`.
FAMILY_PREFIX = {
    "disconnect_reason": "disconnect", "extended_reason": "extended", "errinfo": "errinfo",
    "freerdp_errconnect": "errconnect", "gateway": "gateway", "avd_client": "avd",
    "event_id": "event", "other": "other",
}

# --- helpers -----------------------------------------------------------------------------


ID_STOP_WORDS = {"the", "a", "an", "of", "to", "is", "by", "for", "on", "in", "with", "at", "from"}


def kebab(text, words):
    """The first `words` words of `text` that say something, lower case, joined by dashes."""
    parts = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join([p for p in parts if p not in ID_STOP_WORDS][:words])


def dq(text):
    """A YAML double-quoted scalar; JSON's escapes are a subset of YAML's."""
    return json.dumps(text, ensure_ascii=False)


def sq(text):
    """A YAML single-quoted scalar: backslashes stay as they are, quotes double."""
    return "'" + text.replace("'", "''") + "'"


def folded(text, indent):
    """A `>-` block: long prose wrapped at 96 columns, as the shipped rules are."""
    pad = " " * indent
    lines = textwrap.wrap(text, width=96 - indent, break_long_words=False, break_on_hyphens=False)
    return ">-\n" + "\n".join(pad + line for line in lines)


def literal(text, indent):
    pad = " " * indent
    return "|-\n" + "\n".join((pad + line).rstrip() for line in text.split("\n"))


def words_regex(message, rng):
    """A regex over 3-6 consecutive words of a message, in the shipped rules' style."""
    words = re.findall(r"[A-Za-z]+", message)
    size = min(len(words), rng.randint(3, 6))
    start = rng.randint(0, len(words) - size)
    return "(?i)" + r"\s+".join(w.lower() for w in words[start:start + size])


def prose(text):
    """Template text as a page without a paste shows it."""
    text = re.sub(r"\{%\s*if\s+code\s*%\}.*?\{%\s*endif\s*%\}", "", text)
    return text.replace("{{ host }}", "the remote computer")


def command_text(text):
    return text.replace("{{ host }}", "<remote-computer>")


def load_catalog(path):
    if path:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    else:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        binary = os.environ.get("RDP_DOCTOR") or os.path.join(root, "target", "release", "rdp-doctor")
        if not os.access(binary, os.X_OK):
            binary = shutil.which("rdp-doctor")
        if not binary:
            sys.exit("synthetic_rules.py: no catalog: pass --catalog FILE or build rdp-doctor")
        out = subprocess.run([binary, "catalog", "list", "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        entries = json.loads(out)
    # Only numeric codes: a `codes` signature names a code, not a message key.
    codes = [(f"{FAMILY_PREFIX[e['family']]}:{e['code']}", e["name"] or e["code"])
             for e in entries
             if e["family"] in FAMILY_PREFIX and (e["code"] or "").startswith("0x")]
    if not codes:
        sys.exit("synthetic_rules.py: the catalog has no codes")
    return sorted(codes)


# --- one rule ----------------------------------------------------------------------------


def make_rule(index, category, rng, catalog, with_examples):
    vocab = CATEGORIES[category]
    subject = rng.choice(vocab["subjects"])
    fault, message = rng.choice(vocab["faults"])
    context = rng.choice(CONTEXTS)
    title = f"{subject} {fault} {context}"
    # The index keeps ids unique; the words keep them readable.
    rule_id = f"{kebab(subject + ' ' + fault, 7)}-{index:05d}"
    status = f"0x8A{index:06X}"  # a status code of this rule only
    codes = rng.sample(catalog, rng.randint(1, 3))

    def ctx(text):
        return text.replace("{ctx}", rng.choice(CONTEXTS))

    causes = [ctx(c) for c in rng.sample(vocab["causes"], min(len(vocab["causes"]), rng.randint(2, 4)))]
    if rng.random() < 0.3:
        causes[-1] = causes[-1].rstrip(".") + "{% if code %} (error {{ code }}){% endif %}."
    pool = list(vocab["steps"]) + rng.sample(GENERIC_STEPS, 2)
    steps = rng.sample(pool, min(len(pool), rng.randint(3, 5)))
    refs = rng.sample(REFERENCES, rng.randint(1, 3))
    refs.append((f"Team wiki: {title}", f"https://wiki.example.com/rdp/{rule_id}"))

    signatures = [
        # The message is shared with other rules and the shipped ones: light weights, so that
        # the status code decides and the shipped rules' examples still rank their rule.
        ("text", message, 1),
        ("regex", words_regex(message, rng), 1),
        ("regex", rf"(?i)\b{status}\b|STATUS_RDP_{index:05d}", 3),
    ] + [("codes", code, 1) for code, _ in codes]

    summary = (f"{subject} {fault} {context}, and the connection to {{{{ host }}}} stops with "
               f"\"{message}\". {ctx(rng.choice(vocab['causes']))} "
               f"This page lists the usual causes and what to check first, on the client and on "
               f"the server.")

    examples = []
    if with_examples:
        for _ in range(rng.randint(1, 2)):
            code = codes[0][0].split(":", 1)[1]
            examples.append((
                f"{rng.choice(CLIENT_LINES)}\n\n{message}.\n\n"
                f"Error code: {code}\nStatus: {status}\n"
                f"Timestamp (UTC): 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                f"ticket INC-{rng.randint(10000, 99999)}"))

    return {"id": rule_id, "title": title, "category": category, "summary": summary,
            "codes": codes, "signatures": signatures, "causes": causes, "steps": steps,
            "references": refs, "examples": examples}


def rule_yaml(rule):
    out = [f"# Synthetic benchmark rule: {rule['title'].lower()}.",
           f"id: {rule['id']}",
           f"title: {dq(rule['title'])}",
           f"category: {rule['category']}",
           f"summary: {folded(rule['summary'], 2)}",
           f"codes: [{', '.join(code for code, _ in rule['codes'])}]",
           "signatures:"]
    for kind, value, weight in rule["signatures"]:
        if kind == "text":
            out.append(f"  - {{ text: {dq(value)}, weight: {weight} }}")
        elif kind == "regex":
            out.append(f"  - {{ regex: {sq(value)}, weight: {weight} }}")
        else:
            out.append(f"  - {{ codes: [{value}], weight: {weight} }}")
    out.append("causes:")
    out.extend(f"  - {dq(cause)}" for cause in rule["causes"])
    out.append("steps:")
    for title, side, body, commands in rule["steps"]:
        out.append(f"  - title: {dq(title)}")
        out.append(f"    side: {side}")
        out.append(f"    body: {folded(body, 6)}")
        if commands:
            out.append("    commands:")
            for kind, text in commands.items():
                out.append(f"      {kind}: {literal(text, 8)}")
    out.append("references:")
    out.extend(f"  - {{ title: {dq(t)}, url: {dq(u)} }}" for t, u in rule["references"])
    if rule["examples"]:
        out.append("examples:")
        for text, source in rule["examples"]:
            out.append(f"  - text: {dq(text)}")
            out.append(f"    source: {dq(source)}")
    return "\n".join(out) + "\n"


def rule_markdown(rule, heading):
    """The rule page as Markdown, with the sections of rdp-doctor's rule page in its order;
    `heading` is True for mdBook, which takes the title from the first heading, False for
    Hugo, which takes it from the front matter."""
    out = [f"# {rule['title']}", ""] if heading else []
    out += [f"*{rule['category']}* `{rule['id']}`", "", prose(rule["summary"]), ""]
    out += ["## Codes it explains", ""]
    out += [f"- `{code}` {name}" for code, name in rule["codes"]]
    out += ["", "## Why it happens", ""]
    out += [f"- {prose(cause)}" for cause in rule["causes"]]
    out += ["", "## What to do", ""]
    for n, (title, side, body, commands) in enumerate(rule["steps"], 1):
        out += [f"### {n}. {prose(title)} (on the {side})", "", prose(body), ""]
        for kind, text in commands.items():
            # A fence language where highlighters know one, plain text otherwise.
            lang = {"powershell": "powershell", "cmd": "bat", "bash": "bash",
                    "azure_cli": "bash", "azure_run_command": "powershell"}.get(kind, "text")
            out += [f"{kind.replace('_', ' ')}:", "", f"```{lang}", command_text(text), "```", ""]
    if rule["examples"]:
        out += ["## What it looks like", ""]
        for text, _source in rule["examples"]:
            out += ["```text", text.replace("\r", ""), "```", ""]
    out += ["## References", ""]
    out += [f"- [{t}]({u})" for t, u in rule["references"]]
    return "\n".join(out).rstrip() + "\n"


# --- Hugo and mdBook ---------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://rdp-doctor.example/"
title = "rdp-doctor rules"
languageCode = "en"
theme = "bench"
# Pages carry the same facts as rdp-doctor's: no RSS feeds (rdp-doctor writes none); a page
# per category and per code through taxonomies; a JSON search index for the home page.
disableKinds = ["RSS"]

[taxonomies]
  category = "categories"
  code = "codes"

[outputs]
  home = ["HTML", "JSON"]
"""

HUGO_BASEOF = """\
<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} - {{ end }}{{ site.Title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 0 auto; padding: 1rem; }
pre { overflow-x: auto; padding: .5rem; background: #f4f4f4; }
@media (prefers-color-scheme: dark) { body { background: #111; color: #ddd; } pre { background: #222; } }
</style>
</head>
<body>
<header><a href="{{ relURL "/" }}">{{ site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

HUGO_SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p>Category:{{ range .GetTerms "categories" }} <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
{{ .Content }}
</article>
{{ end }}
"""

HUGO_LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>
{{ end }}</ul>
{{ end }}
"""

# One object per line: appending to a slice in the loop would copy it every time.
HUGO_INDEX_JSON = """\
[{{- range $i, $page := where site.RegularPages "Section" "rules" -}}
{{- if $i }},{{ end }}
{{ dict "title" .Title "url" .RelPermalink "category" .Params.categories "codes" .Params.codes "summary" .Summary | jsonify -}}
{{- end }}
]
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_hugo(root, rules):
    write(os.path.join(root, "hugo.toml"), HUGO_CONFIG)
    layouts = os.path.join(root, "themes", "bench", "layouts")
    write(os.path.join(layouts, "_default", "baseof.html"), HUGO_BASEOF)
    write(os.path.join(layouts, "_default", "single.html"), HUGO_SINGLE)
    write(os.path.join(layouts, "_default", "list.html"), HUGO_LIST)
    write(os.path.join(layouts, "index.json"), HUGO_INDEX_JSON)
    write(os.path.join(root, "content", "_index.md"),
          "---\ntitle: Remote Desktop errors\n---\nPick a category or a code.\n")
    for rule in rules:
        front = ["---", f"title: {dq(rule['title'])}",
                 f"categories: [{dq(rule['category'])}]",
                 f"codes: [{', '.join(dq(code) for code, _ in rule['codes'])}]",
                 "---", ""]
        write(os.path.join(root, "content", "rules", rule["id"] + ".md"),
              "\n".join(front) + rule_markdown(rule, heading=False))


def write_mdbook(root, rules):
    write(os.path.join(root, "book.toml"),
          '[book]\ntitle = "rdp-doctor rules"\nlanguage = "en"\nsrc = "src"\n\n'
          '[output.html]\n# The defaults: search index, print page, copy buttons.\n')
    by_category = {}
    for rule in rules:
        by_category.setdefault(rule["category"], []).append(rule)
    summary = ["# Summary", "", "[Remote Desktop errors](index.md)", ""]
    write(os.path.join(root, "src", "index.md"), "# Remote Desktop errors\n\nPick a category.\n")
    for category in sorted(by_category):
        members = sorted(by_category[category], key=lambda r: r["id"])
        summary.append(f"- [{category}](categories/{category}.md)")
        page = [f"# {category}", ""]
        for rule in members:
            summary.append(f"  - [{rule['title']}](rules/{rule['id']}.md)")
            page.append(f"- [{rule['title']}](../rules/{rule['id']}.md)")
            write(os.path.join(root, "src", "rules", rule["id"] + ".md"),
                  rule_markdown(rule, heading=True))
        write(os.path.join(root, "src", "categories", category + ".md"), "\n".join(page) + "\n")
    write(os.path.join(root, "src", "SUMMARY.md"), "\n".join(summary) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, metavar="N")
    parser.add_argument("out", metavar="OUT_DIR")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--catalog", metavar="FILE", help="JSON of `rdp-doctor catalog list --format json`")
    parser.add_argument("--no-examples", action="store_true", help="write rules without examples")
    args = parser.parse_args()

    catalog = load_catalog(args.catalog)
    rng = random.Random(args.seed)
    categories = sorted(CATEGORIES)
    rules = [make_rule(i, rng.choice(categories), rng, catalog, not args.no_examples)
             for i in range(1, args.count + 1)]

    for sub in ("rules", "hugo", "mdbook"):
        shutil.rmtree(os.path.join(args.out, sub), ignore_errors=True)
    for rule in rules:
        write(os.path.join(args.out, "rules", rule["category"], rule["id"] + ".yaml"), rule_yaml(rule))
    write_hugo(os.path.join(args.out, "hugo"), rules)
    write_mdbook(os.path.join(args.out, "mdbook"), rules)
    print(f"{len(rules)} rules, Hugo and mdBook pages in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
