"""WTForms classes for pages outside the generated admin forms: login, workflow dialogs, the public form."""
