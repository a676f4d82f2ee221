"""Reaching attendees: subscriptions, RSVPs and the mails they receive (issue 10).

models   who asked for what (Subscription, Rsvp) and what was sent to whom (Mailing, Delivery)
mailer   the one place mail leaves: due reminders, recipients, exactly-once sending
messages what a mail says (subject, text and HTML parts, the .ics, unsubscribe headers)
tasks    the background tasks the worker runs (Django's tasks framework, django-tasks-db)
"""
