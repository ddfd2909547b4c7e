"""The benchmark site: one realistic page, served bare, with a static banner, with this
app, and with django-cookie-consent (each variant is a settings module under settings/)."""
