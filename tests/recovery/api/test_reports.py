"""Reports from the phone: check-ins, incision checks, warning reports; triage, escalation, idempotency."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pillow_heif import register_heif_opener

from notifications.models import Notification
from recovery.models import CheckIn, Escalation, IncisionCheck, Patient, PatientMessage, WarningReport
from tests.factories import CheckInFactory, DeviceFactory, PatientFactory, SurgeonFactory
from tests.support import bearer

register_heif_opener()  # so the tests can make HEIC photos as an iPhone does

pytestmark = pytest.mark.django_db


def checkin(**fields):
    return {"client_id": str(uuid.uuid4()), "pain_score": 3, **fields}


def image_bytes(fmt="PNG", size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(fmt="PNG", name=None, content=None, content_type=None) -> SimpleUploadedFile:
    extension = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "HEIF": "heic"}.get(fmt, "bin")
    return SimpleUploadedFile(name or f"IMG_0001.{extension}", content if content is not None else image_bytes(fmt),
                              content_type=content_type or f"image/{extension}")


# --- Check-ins -------------------------------------------------------------------------------

def test_a_checkin_is_stored_and_answered_201_with_triage(patient_client, patient):
    body = checkin(pain_score=4, temperature=98.9, binder_worn=True, binder_hours=20.5,
                   restrictions_followed=True, note="Slept well")
    response = patient_client.post("/api/v1/checkins/", body)
    assert response.status_code == 201
    answer = response.json()
    assert answer["triage"]["level"] == "routine" and answer["triage"]["reasons"] == []
    assert "Call your surgeon if" in answer["triage"]["advice"]
    stored = CheckIn.objects.get(patient=patient)
    assert (str(stored.client_id), stored.pain_score, str(stored.temperature), stored.temperature_unit) == (
        body["client_id"], 4, "98.9", "F")
    assert (stored.binder_worn, str(stored.binder_hours), stored.note) == (True, "20.5", "Slept well")
    assert answer["id"] == stored.pk and answer["temperature"] == 98.9 and answer["binder_hours"] == 20.5
    assert answer["local_date"] == patient.local_date().isoformat()


def test_only_client_id_and_pain_score_are_required(patient_client):
    response = patient_client.post("/api/v1/checkins/", checkin())
    assert response.status_code == 201
    assert response.json()["temperature"] is None and response.json()["symptoms"] == []


def test_a_temperature_without_unit_is_fahrenheit(patient_client):
    answer = patient_client.post("/api/v1/checkins/", checkin(temperature=100.4)).json()
    assert answer["temperature_unit"] == "F" and answer["triage"]["reasons"] == ["fever"]


def test_a_celsius_fever_is_urgent(patient_client):
    answer = patient_client.post("/api/v1/checkins/", checkin(temperature=37.8, temperature_unit="C")).json()
    assert answer["triage"]["level"] == "urgent" and answer["triage"]["reasons"] == ["fever"]


def test_37_7_celsius_is_routine(patient_client):
    answer = patient_client.post("/api/v1/checkins/", checkin(temperature="37.7", temperature_unit="C")).json()
    assert answer["triage"]["level"] == "routine"


def test_local_date_is_the_patients_own_day(api_client):
    patient = PatientFactory(enrolled=True, timezone="Pacific/Auckland")
    api_client.force_authenticate(patient.user)
    with time_machine.travel(datetime(2026, 5, 4, 20, 0, tzinfo=UTC), tick=False):
        answer = api_client.post("/api/v1/checkins/", checkin()).json()
    assert answer["local_date"] == "2026-05-05"  # 08:00 next morning in Auckland


def test_checkins_list_is_the_callers_own_newest_first(patient_client, patient):
    old = CheckInFactory(patient=patient, created_at=timezone.now() - timedelta(days=2))
    new = CheckInFactory(patient=patient)
    CheckInFactory(patient=PatientFactory(enrolled=True))
    body = patient_client.get("/api/v1/checkins/").json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [new.pk, old.pk]
    assert "triage" in body["results"][0]


def test_checkins_list_is_paginated(patient_client, patient):
    CheckInFactory.create_batch(51, patient=patient)
    body = patient_client.get("/api/v1/checkins/").json()
    assert (body["count"], len(body["results"])) == (51, 50) and "cursor=" in body["next"]
    assert len(patient_client.get(body["next"]).json()["results"]) == 1


def test_pain_8_or_more_three_local_days_running_escalates(patient_client, patient):
    today = patient.local_date()
    Patient.objects.filter(pk=patient.pk).update(surgery_date=today - timedelta(days=5))
    CheckInFactory(patient=patient, pain_score=8, local_date=today - timedelta(days=2))
    CheckInFactory(patient=patient, pain_score=9, local_date=today - timedelta(days=1))
    answer = patient_client.post("/api/v1/checkins/", checkin(pain_score=8)).json()
    assert answer["triage"]["level"] == "urgent" and answer["triage"]["reasons"] == ["severe_pain_3_days"]
    assert Escalation.objects.get().checkin_id == answer["id"]


def test_pain_before_the_surgery_date_does_not_make_a_streak(patient_client, patient):
    """Severe chronic pain is why the pump is implanted (guide line 48): 8 the two days before surgery and 8 on
    its day are not three days running of a post-operative problem."""
    today = patient.local_date()
    Patient.objects.filter(pk=patient.pk).update(surgery_date=today)
    CheckInFactory(patient=patient, pain_score=8, local_date=today - timedelta(days=2))
    CheckInFactory(patient=patient, pain_score=9, local_date=today - timedelta(days=1))
    answer = patient_client.post("/api/v1/checkins/", checkin(pain_score=8)).json()
    assert answer["triage"]["level"] == "routine" and not Escalation.objects.exists()


def test_another_patients_pain_does_not_count(patient_client, patient):
    other, today = PatientFactory(enrolled=True), patient.local_date()
    CheckInFactory(patient=other, pain_score=9, local_date=today - timedelta(days=2))
    CheckInFactory(patient=other, pain_score=9, local_date=today - timedelta(days=1))
    CheckInFactory(patient=patient, pain_score=9, local_date=today - timedelta(days=1))
    assert patient_client.post("/api/v1/checkins/", checkin(pain_score=9)).json()["triage"]["level"] == "routine"


# --- Escalation on urgent and emergency triage -----------------------------------------------

def test_urgent_triage_creates_the_escalation_advice_message_and_pushes(patient_client, patient, settings):
    DeviceFactory(user=patient.surgeon.user)
    before = timezone.now()
    answer = patient_client.post("/api/v1/checkins/", checkin(symptoms=["headache_upright", "limb_tingling"])).json()
    escalation = Escalation.objects.get()
    assert (escalation.patient, escalation.assigned_surgeon, escalation.level) == (patient, patient.surgeon, "urgent")
    assert escalation.reasons == ["limb_tingling", "headache_upright"] == answer["triage"]["reasons"]
    assert escalation.checkin_id == answer["id"]
    deadline = settings.ESCALATION_ACK_DEADLINES["urgent"]
    assert before + deadline <= escalation.ack_due_at <= timezone.now() + deadline
    message = PatientMessage.objects.get()
    assert (message.kind, message.escalation, message.body) == ("triage_advice", escalation, answer["triage"]["advice"])
    assert Notification.objects.filter(recipient=patient.surgeon.user, kind="escalation").count() == 1


def test_emergency_warning_report_gets_the_emergency_deadline_and_911_advice(patient_client, settings):
    before = timezone.now()
    response = patient_client.post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": ["overdose_signs"], "note": "very sleepy"})
    assert response.status_code == 201
    assert response.json()["triage"]["advice"].startswith("Call 911 now.")
    escalation = Escalation.objects.get()
    assert escalation.level == "emergency" and escalation.warning_report_id == response.json()["id"]
    assert escalation.ack_due_at >= before + settings.ESCALATION_ACK_DEADLINES["emergency"]
    assert escalation.ack_due_at <= timezone.now() + settings.ESCALATION_ACK_DEADLINES["emergency"]


def test_routine_triage_escalates_nothing(patient_client):
    patient_client.post("/api/v1/checkins/", checkin(pain_score=5))
    assert not Escalation.objects.exists() and not PatientMessage.objects.exists()


def test_a_failure_while_escalating_stores_nothing(patient_client, monkeypatch):
    def broken(_escalation):
        raise RuntimeError("push outbox down")

    monkeypatch.setattr("recovery.services.pushes.queue_escalation_pushes", broken)
    with pytest.raises(RuntimeError):
        patient_client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["pump_alarm"]})
    assert not WarningReport.objects.exists() and not Escalation.objects.exists()
    assert not PatientMessage.objects.exists()


def test_a_failure_while_escalating_leaves_no_photo_behind(patient_client, monkeypatch):
    monkeypatch.setattr("recovery.services.pushes.queue_escalation_pushes", lambda _e: 1 / 0)
    files = photo_dir_files()
    with pytest.raises(ZeroDivisionError):
        patient_client.post("/api/v1/incision-checks/", {**incision(bleeding=True), "photo": upload()},
                            format="multipart")
    assert not IncisionCheck.objects.exists() and photo_dir_files() == files


# --- Idempotency by client_id ----------------------------------------------------------------

def test_the_same_client_id_and_body_again_answers_200_with_the_first_record(patient_client):
    body = checkin(pain_score=6, symptoms=["limb_pain"])
    first = patient_client.post("/api/v1/checkins/", body)
    again = patient_client.post("/api/v1/checkins/", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert CheckIn.objects.count() == 1 and Escalation.objects.count() == 1 and PatientMessage.objects.count() == 1


def test_the_same_client_id_with_a_different_body_is_409_and_changes_nothing(patient_client):
    body = checkin(pain_score=6)
    patient_client.post("/api/v1/checkins/", body)
    response = patient_client.post("/api/v1/checkins/", {**body, "pain_score": 7})
    assert response.status_code == 409 and "client_id" in response.json()
    assert CheckIn.objects.get().pain_score == 6


def test_a_retry_spelling_defaults_out_is_still_the_same_body(patient_client):
    body = checkin(temperature=99.1)
    patient_client.post("/api/v1/checkins/", body)
    retry = patient_client.post("/api/v1/checkins/", {**body, "temperature_unit": "F", "symptoms": []})
    assert retry.status_code == 200


def test_another_patient_may_use_the_same_client_id(patient_client, api_client):
    body = checkin()
    patient_client.post("/api/v1/checkins/", body)
    other = PatientFactory(enrolled=True)
    response = bearer(api_client, other.user).post("/api/v1/checkins/", body)
    assert response.status_code == 201
    assert CheckIn.objects.filter(client_id=body["client_id"]).count() == 2


def test_a_client_id_is_per_kind_of_report(patient_client):
    client_id = str(uuid.uuid4())
    assert patient_client.post("/api/v1/checkins/", {"client_id": client_id, "pain_score": 2}).status_code == 201
    assert patient_client.post("/api/v1/warning-reports/", {
        "client_id": client_id, "symptoms": ["limb_pain"]}).status_code == 201


def test_warning_report_retry_answers_200_and_different_symptoms_409(patient_client):
    body = {"client_id": str(uuid.uuid4()), "symptoms": ["pump_alarm"], "note": ""}
    assert patient_client.post("/api/v1/warning-reports/", body).status_code == 201
    assert patient_client.post("/api/v1/warning-reports/", body).status_code == 200
    assert patient_client.post("/api/v1/warning-reports/", {**body, "symptoms": ["fever"]}).status_code == 409
    assert WarningReport.objects.count() == 1 and Escalation.objects.count() == 1


# --- Incision checks -------------------------------------------------------------------------

def incision(**fields):
    return {"client_id": str(uuid.uuid4()), "site": "abdomen", **fields}


def test_an_incision_check_without_signs_is_routine(patient_client, patient):
    response = patient_client.post("/api/v1/incision-checks/", incision(site="back"))
    assert response.status_code == 201
    assert response.json()["triage"]["level"] == "routine" and response.json()["has_photo"] is False
    assert IncisionCheck.objects.get(patient=patient).site == "back"


def test_incision_signs_are_urgent_with_a_reason_each(patient_client):
    answer = patient_client.post("/api/v1/incision-checks/", incision(redness=True, drainage=True)).json()
    assert answer["triage"]["level"] == "urgent"
    assert answer["triage"]["reasons"] == ["incision_redness", "incision_drainage"]
    assert Escalation.objects.get().incision_check_id == answer["id"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photo_is_stored_under_a_random_name_and_never_given_a_url(patient_client, fmt):
    response = patient_client.post("/api/v1/incision-checks/", {**incision(swelling="true"), "photo": upload(fmt)},
                                   format="multipart")
    assert response.status_code == 201
    answer = response.json()
    assert answer["has_photo"] is True and "photo" not in answer
    assert answer["triage"]["reasons"] == ["incision_swelling"]
    stored = IncisionCheck.objects.get()
    name = str(stored.photo.name)
    assert name.startswith("incision-photos/") and "IMG_0001" not in name
    with Image.open(stored.photo.path) as kept:
        assert (kept.format, kept.size) == ("JPEG", (8, 8))


def test_a_heic_photo_from_an_iphone_is_accepted_and_kept_as_jpeg(patient_client):
    photo = upload("HEIF", name="IMG_0002.heic", content_type="image/heic")
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert response.status_code == 201
    with Image.open(IncisionCheck.objects.get().photo.path) as kept:
        assert kept.format == "JPEG"


def test_a_jpeg_carrying_a_second_picture_is_accepted_and_kept_as_one_jpeg(patient_client):
    """An iPhone JPEG carries its HDR gain map as a second picture (Multi-Picture Format), which Pillow reads as
    "MPO": it is a JPEG photo all the same."""
    buffer = io.BytesIO()
    photo_itself = Image.new("RGB", (16, 12), (200, 30, 30))
    photo_itself.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (8, 6), (90, 90, 90))])
    with Image.open(io.BytesIO(buffer.getvalue())) as sent:
        assert sent.format == "MPO" and getattr(sent, "n_frames", 1) == 2
    photo = upload("JPEG", name="IMG_0003.JPG", content=buffer.getvalue())
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert response.status_code == 201 and response.json()["has_photo"] is True
    with Image.open(IncisionCheck.objects.get().photo.path) as kept:
        assert (kept.format, kept.size, getattr(kept, "n_frames", 1)) == ("JPEG", (16, 12), 1)


def noisy_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((320, 240), 60).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_photo_cut_off_while_sending_is_400_naming_photo_and_stores_nothing(patient_client):
    """Its header is whole (the upload's check passes) but its pixels end half way: decoding it was a 500."""
    whole = noisy_jpeg()
    body, files = incision(bleeding=True), photo_dir_files()
    response = patient_client.post("/api/v1/incision-checks/",
                                   {**body, "photo": upload("JPEG", content=whole[: len(whole) // 2])},
                                   format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["photo"]
    assert not IncisionCheck.objects.exists() and not Escalation.objects.exists()
    assert not Notification.objects.exists() and photo_dir_files() == files
    again = patient_client.post("/api/v1/incision-checks/", {**body, "photo": upload("JPEG", content=whole)},
                                format="multipart")
    assert again.status_code == 201 and IncisionCheck.objects.get().photo


def test_where_a_photo_was_taken_is_not_stored(patient_client):
    """A photo taken at home carries the patient's address in its GPS EXIF tags; only the pixels are kept."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}  # GPSInfo
    exif[0x0110] = "iPhone 15"  # camera model
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(buffer.getvalue())) as sent:
        assert sent.getexif().get(0x0110) == "iPhone 15"  # the upload really carries EXIF
    photo = upload("JPEG", content=buffer.getvalue())
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert response.status_code == 201
    with Image.open(IncisionCheck.objects.get().photo.path) as kept:
        assert dict(kept.getexif()) == {}


def test_a_photo_retry_is_200_and_a_different_photo_is_409(patient_client):
    body = incision()
    first = patient_client.post("/api/v1/incision-checks/", {**body, "photo": upload()}, format="multipart")
    again = patient_client.post("/api/v1/incision-checks/", {**body, "photo": upload()}, format="multipart")
    other = patient_client.post("/api/v1/incision-checks/", {**body, "photo": upload(content=image_bytes(size=(9, 9)))},
                                format="multipart")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert IncisionCheck.objects.count() == 1


def photo_dir_files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "photo",
    [
        pytest.param(lambda: upload(content=b"not an image at all", name="x.jpg", content_type="image/jpeg"),
                     id="text"),
        pytest.param(lambda: upload("GIF"), id="gif"),
        pytest.param(lambda: upload(content=image_bytes("PNG")[:40], name="cut.png"), id="truncated"),
    ],
)
def test_a_photo_that_is_not_a_jpeg_or_png_is_400_naming_photo(patient_client, photo):
    files = photo_dir_files()
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": photo()}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["photo"]
    assert not IncisionCheck.objects.exists() and photo_dir_files() == files


def test_a_photo_over_the_size_limit_is_400_naming_photo(patient_client, settings):
    settings.INCISION_PHOTO_MAX_BYTES = 1024
    big = upload("PNG", content=image_bytes("PNG", size=(400, 400)))
    assert (big.size or 0) > 1024
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": big}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["photo"]
    assert not IncisionCheck.objects.exists()


def test_a_photo_sent_as_json_text_is_400_naming_photo(patient_client):
    response = patient_client.post("/api/v1/incision-checks/", {**incision(), "photo": "aGVsbG8="})
    assert response.status_code == 400 and list(response.json()) == ["photo"]


# --- Warning reports -------------------------------------------------------------------------

def test_a_warning_report_is_stored_with_its_symptoms(patient_client, patient):
    response = patient_client.post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": ["balance_problems", "balance_problems", "limb_weakness"],
        "note": "wobbly"})
    assert response.status_code == 201
    stored = WarningReport.objects.get(patient=patient)
    assert stored.symptoms == ["balance_problems", "limb_weakness"] and stored.note == "wobbly"
    assert response.json()["triage"]["reasons"] == ["cord_compression_signs", "balance_problems", "limb_weakness"]


def test_severe_pain_with_a_fever_is_an_emergency_case_as_its_advice_says(patient_client, patient):
    """The severe-pain advice tells the patient to call the emergency number when severe pain comes with a
    fever: the answer and the care team's case say the same."""
    response = patient_client.post("/api/v1/checkins/", checkin(pain_score=9, temperature=101.2))
    assert response.status_code == 201
    answer = response.json()["triage"]
    assert answer["level"] == "emergency" and answer["reasons"][0] == "severe_pain_with_red_flags"
    assert answer["advice"].startswith(f"Call {patient.emergency_number} now.")
    assert Escalation.objects.get(patient=patient, resolved_at__isnull=True).level == "emergency"


@pytest.mark.parametrize(("first", "then"), [
    ("warning", "severe_pain"),  # weakness reported, then a check-in of pain 9
    ("severe_pain", "fever"),  # a check-in of pain 9, then a fever
])
def test_severe_pain_and_a_red_flag_reported_hours_apart_are_one_emergency(patient_client, patient, first, then):
    """The same picture as both in one report: the later report reads the earlier one's signs, a severe pain
    score included (triage.reported_signs)."""
    if first == "warning":
        patient_client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["limb_weakness"]})
    else:
        patient_client.post("/api/v1/checkins/", checkin(pain_score=9))
    later = patient_client.post("/api/v1/checkins/", checkin(pain_score=9) if then == "severe_pain"
                                else checkin(temperature=101.2))
    assert later.status_code == 201
    answer = later.json()["triage"]
    assert answer["level"] == "emergency" and answer["reasons"][0] == "severe_pain_with_red_flags"
    assert Escalation.objects.get(patient=patient, resolved_at__isnull=True).level == "emergency"


def test_fever_with_trouble_keeping_balance_is_an_emergency_case(patient_client, patient):
    """Guide line 175, "Difficulty walking or keeping your balance", with a fever (line 173): the same
    emergency whichever of the line's two words the patient picks."""
    response = patient_client.post("/api/v1/checkins/", checkin(temperature=101.5, symptoms=["balance_problems"]))
    assert response.status_code == 201
    answer = response.json()["triage"]
    assert answer["level"] == "emergency" and answer["reasons"][0] == "fever_with_neuro_deficit"
    assert answer["advice"].startswith(f"Call {patient.emergency_number} now.")
    assert Escalation.objects.get(patient=patient, resolved_at__isnull=True).level == "emergency"


def test_a_warning_report_with_only_a_note_is_urgent_so_a_person_reads_it(patient_client, patient):
    # Issue 9: free text no rule reads is read by a person (this test said "routine" before).
    response = patient_client.post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": [], "note": "Something feels wrong around the pump"})
    triage = response.json()["triage"]
    assert response.status_code == 201 and (triage["level"], triage["reasons"]) == ("urgent", ["patient_note"])
    assert Escalation.objects.filter(patient=patient, level="urgent").count() == 1


def test_a_note_only_warning_report_of_trouble_breathing_is_an_emergency(patient_client, patient):
    # It said "urgent" before: "I can't breathe" in the patient's own words is guide line 174's sign.
    response = patient_client.post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": [], "note": "I can't breathe properly and I'm so sleepy"})
    triage = response.json()["triage"]
    assert response.status_code == 201 and triage["level"] == "emergency"
    assert triage["reasons"] == ["difficulty_breathing", "patient_note"]
    assert Escalation.objects.filter(patient=patient, level="emergency").count() == 1


def test_a_warning_report_with_neither_symptoms_nor_note_is_400_naming_symptoms(patient_client):
    response = patient_client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": []})
    assert response.status_code == 400 and list(response.json()) == ["symptoms"]


def test_advice_reaches_the_patients_messages(patient_client):
    patient_client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["fever"]})
    results = patient_client.get("/api/v1/messages/").json()["results"]
    assert len(results) == 1 and results[0]["kind"] == "triage_advice"
    assert "care team has been alerted" in results[0]["body"]


def test_escalation_goes_to_the_patients_own_surgeon(api_client):
    surgeon = SurgeonFactory()
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    SurgeonFactory()  # another surgeon, who must not get it
    bearer(api_client, patient.user).post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": ["difficulty_breathing"]})
    assert Escalation.objects.get().assigned_surgeon == surgeon
