"""Calendar arithmetic on (year, month, day) tuples, no datetime needed."""

from calendarkit.days import add_days, day_of_year, days_in_month, is_leap_year

__all__ = ["add_days", "day_of_year", "days_in_month", "is_leap_year"]
