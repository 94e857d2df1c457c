"""The number a patient calls for an ambulance, per country (ISO 3166-1 alpha-2).

Where a country has a separate ambulance number and a general one, the table holds the number that
reaches an ambulance from a mobile phone, since the patient reads it in a phone app.

Fallback (a country not in the table, or a zone of no country such as UTC): 112. 3GPP TS 22.101
(section 10, "Emergency calls") requires every GSM/UMTS/LTE/5G phone to treat 112 and 911 as emergency
numbers and the network to route them to the local emergency service, with or without a SIM card;
112 is also the number of every EU/EEA country (Directive (EU) 2018/1972, art. 109). It is therefore
the one number most likely to reach help from a patient's mobile phone anywhere; advice always names
it as "your local emergency number" too.

Sources for the table: ITU-T E.164 Supplement / ITU Operational Bulletin list of emergency numbers;
EU: Directive (EU) 2018/1972 art. 109 (112); US/CA: NENA (911); GB: Ofcom (999, 112 also works);
AU: ACMA (000); NZ: NZ Police (111); JP: Fire and Disaster Management Agency (119 ambulance);
national health services for the ambulance numbers of the other rows. The Spanish-speaking countries of the
Americas that run a national 9-1-1 system (the app speaks Spanish, so these patients are among its users):
EC (Servicio Integrado de Seguridad ECU 911), UY (Ministerio del Interior, 911), PY (Sistema 911), CR (Sistema
de Emergencias 9-1-1), PA (SUME 911), DO (Sistema Nacional de Atención a Emergencias y Seguridad 9-1-1), SV
and HN (national 911 systems); elsewhere in the region (PE, VE, BO, GT, CU, NI) the fallback stands.
"""
from __future__ import annotations

FALLBACK_EMERGENCY_NUMBER = "112"

# EU member states and the EEA/EFTA states that answer 112 for an ambulance.
_EU_EEA_112 = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI"
).split()

EMERGENCY_NUMBERS: dict[str, str] = {
    **{country: "112" for country in _EU_EEA_112},
    "US": "911", "CA": "911", "MX": "911", "PR": "911", "GU": "911", "VI": "911", "AS": "911", "MP": "911",
    "PH": "911", "AR": "107", "BR": "192", "CL": "131", "CO": "123",
    "EC": "911", "UY": "911", "PY": "911", "CR": "911", "PA": "911", "DO": "911", "SV": "911", "HN": "911",
    "GB": "999", "IM": "999", "JE": "999", "GG": "999", "GI": "112",
    "NO": "113", "CH": "144",
    "AU": "000", "NZ": "111",
    "JP": "119", "KR": "119", "TW": "119", "CN": "120", "HK": "999", "MO": "999", "SG": "995",
    "MY": "999", "TH": "1669", "IN": "112",
    "IL": "101", "AE": "998", "SA": "997", "EG": "123", "TR": "112", "ZA": "112",
}


def emergency_number_for(country: str | None) -> str:
    """The ambulance number of `country`, else the documented fallback (112)."""
    return EMERGENCY_NUMBERS.get((country or "").upper(), FALLBACK_EMERGENCY_NUMBER)
