"""The service level agreement as a pure model: offerings, business calendar, availability,
maintenance rules and support deadlines (no database). Not the employment contract of the DSN."""
