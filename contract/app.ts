// A small app flow written only against the generated types of the served schema (build/schema.d.ts,
// openapi-typescript) through openapi-fetch. `make contract` compiles it with strict tsc: a schema change
// that breaks what a phone app or a dashboard writes (a field renamed, a type changed, a code dropped
// from an enum) fails the build.
import createClient from "openapi-fetch";
import type { components, paths } from "./build/schema";

type Schemas = components["schemas"];
type SymptomCode = Schemas["SymptomCodeEnum"];
type TriageLevel = Schemas["TriageLevelEnum"];

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export function severity(level: TriageLevel): number {
  switch (level) {
    case "routine":
      return 0;
    case "urgent":
      return 1;
    case "emergency":
      return 2;
  }
}

export async function patientDay(baseUrl: string, username: string, password: string): Promise<string> {
  const api = createClient<paths>({ baseUrl });
  const login = await api.POST("/api/v1/auth/token/", { body: { username, password } });
  if (login.error !== undefined) {
    // 400 names the fields; 401 bad credentials and 429 rate limited answer {detail}.
    const error = login.error;
    throw new Error("detail" in error && typeof error.detail === "string" ? error.detail : JSON.stringify(error));
  }
  const headers = { Authorization: `Bearer ${login.data.access}` };

  const me = await api.GET("/api/v1/me/", { headers });
  if (me.data === undefined) throw new Error("no profile");
  const checkinTime: string = me.data.checkin_time;
  if (!HHMM.test(checkinTime)) throw new Error("checkin_time is HH:MM");
  const day: number = me.data.recovery_day;
  const drug: Schemas["PumpDrugEnum"] | undefined = me.data.pump?.drug;

  const symptoms: SymptomCode[] = ["incision_pain", "fever"];
  const created = await api.POST("/api/v1/checkins/", {
    headers,
    body: { client_id: crypto.randomUUID(), pain_score: 4, temperature: 100.6, temperature_unit: "F", symptoms },
  });
  if (created.error !== undefined) {
    // 400 names each field with its messages; 409 names client_id.
    const messages: string[] = Object.keys(created.error);
    throw new Error(messages.join(", "));
  }
  const temperature: number | null = created.data.temperature;
  const reasons: string[] = created.data.triage.reasons;
  const location: string | null = created.response.headers.get("Location");

  const page = await api.GET("/api/v1/checkins/", { headers });
  const newest = page.data?.results[0];
  let older = page.data?.next ?? null;
  while (older !== null) {
    const cursor = new URL(older).searchParams.get("cursor");
    const query = cursor === null ? {} : { cursor };
    const next = await api.GET("/api/v1/checkins/", { headers, params: { query } });
    older = next.data?.next ?? null;
  }

  const timeline = await api.GET("/api/v1/timeline/", { headers });
  const due = (timeline.data ?? []).filter((milestone) => milestone.status === "due").map((m) => m.title);

  await api.POST("/api/v1/devices/", { headers, body: { token: "fcm-token", platform: "android" } });
  await api.DELETE("/api/v1/devices/{token}/", { headers, params: { path: { token: "fcm-token" } } });

  return [day, drug, temperature, reasons.join(","), location, newest?.pain_score, due.join(",")].join(" ");
}

export async function surgeonRound(baseUrl: string, access: string): Promise<number> {
  const api = createClient<paths>({ baseUrl });
  const headers = { Authorization: `Bearer ${access}` };

  const enrolled = await api.POST("/api/v1/surgeon/patients/", {
    headers,
    body: {
      display_name: "Ada Lovelace",
      surgery_date: "2026-11-15",
      timezone: "America/New_York",
      pump: { kind: "programmable", drug: "baclofen", next_refill_date: "2027-02-18" },
      checkin_time: "09:00",
    },
  });
  if (enrolled.error !== undefined) throw new Error(JSON.stringify(enrolled.error));
  // 201 carries the one-time code; a 200 (a retry with the same client_id, none sent here) has none.
  if (!("activation_code" in enrolled.data)) throw new Error("a new enrollment answers its activation code");
  const code: string = enrolled.data.activation_code;

  const inbox = await api.GET("/api/v1/surgeon/inbox/", { headers });
  const total = Number(inbox.response.headers.get("X-Total-Count"));
  const items: Schemas["Escalation"][] = inbox.data ?? [];
  const worst = [...items].sort((a, b) => severity(b.level) - severity(a.level))[0];
  if (worst !== undefined) {
    const sourceId: number | undefined = worst.source?.id;
    const patient = await api.GET("/api/v1/surgeon/patients/{id}/", {
      headers,
      params: { path: { id: worst.patient.id } },
    });
    const lastPain: number | undefined = patient.data?.recent_checkins[0]?.pain_score;
    const ack = await api.POST("/api/v1/surgeon/inbox/{id}/acknowledge/", {
      headers,
      params: { path: { id: worst.id } },
    });
    const seenAt: string | null | undefined = ack.data?.acknowledged_at;
    console.log(code, sourceId, lastPain, seenAt);
  }
  return total;
}
