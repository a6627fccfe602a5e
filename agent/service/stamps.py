"""The Agent's stamps (one room of the service, mixed into `Agent`): the signed verdict a mail
program carries on a message it sends itself (X-Postseal-Verdict, agent/stamp.py), issued for
a compose draft, verified for a relay or a support case, and the key to check them with."""

from __future__ import annotations

from agent.stamp import Checked, Stamper


class StampMethods:
    stamper: Stamper  # set by the class this is mixed into

    def issue_stamp(self, sender: str, recipients: list[str], subject: str) -> tuple[str, str]:
        """(verdict id, X-Postseal-Verdict value) for a message allowed as it is."""
        return self.stamper.issue(sender, recipients, subject)

    def verify_stamp(self, value: str, sender: str, recipients: list[str], subject: str) -> Checked:
        """Raises stamp.BadStamp naming why the stamp does not hold for this message."""
        return self.stamper.verify(value, sender, recipients, subject)

    def stamp_key(self) -> tuple[str, str]:
        """(key id, public key PEM): what a relay needs to check our stamps itself."""
        return self.stamper.key_id, self.stamper.public_pem()
