"""Synthetic clinic networks at scale (puncta seed).

``generator.generate(base.SeedConfig(...))`` builds clinics, staff, devices and patients
with their intake, screening (asked of the rules engine), consents and audit trail,
deterministically for a seed. See ``history.PATIENT_STAGES`` for where plans, appointments
and charts go. (Nothing is imported here: this package is also a Django app.)
"""
