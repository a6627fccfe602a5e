"""What the add-ins show for a recipient of each method: one sentence each, as the agent words
it (agent/plain_words.py), shared by the Outlook task pane's and the Gmail extension's tests."""

PGP_PARTNER = "referrals@lakesidecardiology.example"  # tests/conftest.py `partner`
SMIME_PARTNER = "results@northsidelab.example"
SAYS = {
    "nurse.kim@valleyclinic.example": "Inside your organization: delivered through your clinic's own mail system.",
    "claims@harborbilling.example": "Sent over a verified encrypted connection (required for this partner).",
    PGP_PARTNER: "Encrypted with their OpenPGP key, so only they can open it.",
    SMIME_PARTNER: "Encrypted with their S/MIME certificate, so only they can open it.",
    "jordan.miles@familymail.example": "Goes to the secure portal: they get a link and a one-time code to read it.",
}
