"""Writes of the clinical domain, one module per concern. Views, admin, commands and tasks call these;
they hold the rules and write the audit trail in the same transaction as the change.

- accounts: surgeon logins, activation codes, patient activation and settings
- enrollment: enrolling a patient (pump, plan, code), staff changes to a patient
- plans: building the recovery plan (milestones, restrictions), completing milestones
- reports: phone reports (check-in, incision check, warning report) with triage
- idempotency, photos: what reports share (client_id replay, photo re-encoding)
- escalations: opening, acknowledging and passing on escalations
- pushes: what recovery tells people by push (kinds, neutral texts), through notifications' outbox
- reminders: the clinical reminder rules and their dispatcher
- audit: the request origin and the audit rows
- records: audited reads of patient records for staff
- staff_edits: admin edits of other records, audited
- sessions: API tokens: refresh rotation under a row lock, logout, revoking all of a user's tokens
"""
