"""Views by audience: public pages, downloads (calendars, exports, artwork), feeds, the JSON API and the organizer workspace."""
