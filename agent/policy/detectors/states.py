"""US states by postal abbreviation and by name: who issued a licence, what precedes a ZIP code."""

from __future__ import annotations

import re

STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_STATE_NAMES = (
    "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|"
    "hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|"
    "michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new\\s+hampshire|new\\s+jersey|"
    "new\\s+mexico|new\\s+york|north\\s+carolina|north\\s+dakota|ohio|oklahoma|oregon|pennsylvania|"
    "rhode\\s+island|south\\s+carolina|south\\s+dakota|tennessee|texas|utah|vermont|virginia|"
    "washington|west\\s+virginia|wisconsin|wyoming"
)
# The names Spanish writes differently ("licencia de conducir de Nuevo México").
_SPANISH_NAMES = (
    "nuevo\\s+m[eé]xico|nueva\\s+york|nueva\\s+jersey|nuevo\\s+hampshire|carolina\\s+del\\s+(?:norte|sur)"
    "|dakota\\s+del\\s+(?:norte|sur)|pensilvania|luisiana|misuri|misisipi|haw[aá]i|virginia\\s+occidental"
)
STATE = re.compile(rf"\b(?:{'|'.join(STATES)})\b|(?i:\b(?:{_STATE_NAMES}|{_SPANISH_NAMES})\b)")
