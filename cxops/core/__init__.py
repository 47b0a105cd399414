"""Pure decisions: the diff, the plan as a value, the gate's checks, validation."""
