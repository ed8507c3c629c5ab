"""The Qt wizard: the only layer that imports Qt. It drives the flow for onboarding, and reads
and writes the store (profiles, keyring, history) for the operator's own data."""
