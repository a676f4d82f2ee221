# Session dates carry the weekday: groups meet on a fixed day of the week.
DATE_FORMAT = "Y年n月j日 l"
