"""How the LRS writes its times (TIME-8): ISO 8601, UTC with Z, exactly three fraction digits."""
from datetime import datetime, timezone

from lrs.timeutil import datetime_to_ms, format_ms


def test_a_time_is_written_in_utc_with_three_fraction_digits_TIME_8():
    assert format_ms(1_796_000_000_123) == "2026-11-30T00:53:20.123Z"


def test_a_year_before_1000_is_written_in_four_digits_TIME_8():
    """strftime's %Y wrote 535 for the year 535, which is not ISO 8601's YYYY."""
    ms = datetime_to_ms(datetime(535, 8, 26, 14, 4, 39, 824000, tzinfo=timezone.utc))
    assert format_ms(ms) == "0535-08-26T14:04:39.824Z"


def test_the_epoch_and_its_first_millisecond():
    assert (format_ms(0), format_ms(1)) == ("1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.001Z")
