# Session dates carry the weekday: groups meet on a fixed day of the week.
DATE_FORMAT = "D, M j, Y"
