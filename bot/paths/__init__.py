"""Study paths and held certifications: the planner, its content rules, expiry dates and reminders."""
