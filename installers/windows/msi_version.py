"""The MSI's ProductVersion and ProductCode for a release, printed as `VERSION PRODUCTCODE`.

Used by build-msi.sh (wixl, here) and .github/workflows/release.yml (WiX toolset, Windows), so
both builds give the same version the same codes. Usage: msi_version.py [VERSION]; without a
VERSION, pyproject.toml's.

ProductVersion must be major.minor.build, at most 255.255.65535 (Windows Installer compares
nothing else). The ProductCode is uuid5(UpgradeCode, "postseal-msi-" + version): a major
upgrade needs a new one for each version, and deriving it lets IT write the Intune detection
rule and the uninstall command before the file reaches them (docs/deploy.md).
"""

import re
import sys
import tomllib
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"


def main(argv: list[str]) -> int:
    version = argv[0] if argv else tomllib.loads((HERE.parents[1] / "pyproject.toml").read_text())["project"]["version"]
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if not m or int(m[1]) > 255 or int(m[2]) > 255 or int(m[3]) > 65535:
        print(f"build-msi: version {version!r} is not an MSI version (a.b.c, at most 255.255.65535)", file=sys.stderr)
        return 2
    upgrade_code = ET.parse(HERE / "postseal.wxs").getroot().find(f"{WIX}Product").get("UpgradeCode")
    product_code = str(uuid.uuid5(uuid.UUID(upgrade_code), "postseal-msi-" + version)).upper()
    print(version, product_code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
