"""Warning signs in the patient's own words: the phrases of a free-text note (English or Spanish) that name a
sign of the triage table, as data.

A patient who writes "I can't breathe" or "no puedo respirar" in a check-in or a warning report has reported
trouble breathing (guide line 174) as surely as one who ticks the box; triage reads the note's signs as it
reads symptom codes (recovery.triage._signs). Each row names the symptom code it gives and cites the guide
line (or named clinical source) of that sign; the level is the triage table's, not this module's.

How a note is read:
- Accents, case and apostrophes do not count: "respiración", "respiracion" and "RESPIRACIÓN" are one word,
  "can't" is "cant".
- A word of 5 letters or more may carry one typo (one letter wrong, missing, added, or two letters swapped)
  if its first letter is right: "feaver", "fiebr", "breahte". Real words one letter from a sign word are
  listed in NOT_TYPOS ("fewer" is not "fever").
- A phrase is negated, and gives no sign, when a negating word ("no", "not", "without", "don't", "sin",
  "nunca", ...) stands at most NEGATION_WINDOW words before it in the same clause, with only NEGATION_BRIDGES
  between ("have", "any", "tengo", "hay", ...) or a list of signs ("no numbness or tingling"): "no fever", "I
  don't have a fever", "no tengo fiebre", "sin fiebre". Any other word between says the negator is about
  something else ("no appetite chest pain"), and a phrase that names an inability or absence itself is never
  negated ("no I can't breathe", "no no puedo respirar"). A clause ends at . , ; : ! ? and at "but", "pero", ...:
  "no fever but my neck is stiff" and "no fever and can't breathe" report a sign. Inability is not negation:
  "can't", "cannot", "unable", and "no" before "puedo/puede" (can) name a problem ("I can't keep my balance", "no puedo
  caminar"), and doubt is not negation: "not sure", "don't know", "no sé".
- Negation after the sign ("the fever is gone") is not read: such a note escalates, and a person reads it.
  Reading wrongly that a sign is absent is the error the reader must not make; a sign read that is not there
  costs a call.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

GUIDE = "Guide"  # shared/domain/patient-guide-intrathecal-pump.txt, cited by line number
OWN_WORDS = (
    " Read in the patient's own words as well as from the symptom code: a patient describes a warning sign in "
    'a note as often as by ticking its box (guide line 155: "When to call your doctor or 911 if you have '
    'certain symptoms").'
)


@dataclass(frozen=True)
class NotePhrases:
    """Gives `sign` when the note holds one of `phrases` (in `language`), not negated."""

    sign: str
    language: str  # "en" or "es"
    phrases: tuple[str, ...]
    source: str
    unless_next: frozenset[str] = frozenset()  # a phrase followed by one of these words is not the sign
    unless_previous: frozenset[str] = frozenset()  # nor one after one of these ("cabin fever")

    @property
    def key(self) -> str:
        return f"note:{self.sign}:{self.language}"


def _rows(sign: str, source: str, en: tuple[str, ...], es: tuple[str, ...],
          unless_next: frozenset[str] = frozenset(),
          unless_previous: frozenset[str] = frozenset()) -> tuple[NotePhrases, NotePhrases]:
    return (NotePhrases(sign, "en", en, source + OWN_WORDS, unless_next, unless_previous),
            NotePhrases(sign, "es", es, source + OWN_WORDS, unless_next, unless_previous))


OVERDOSE_WITHDRAWAL = f'{GUIDE} lines 72 and 80: "Medicine withdrawal or overdose."'

NOTE_PHRASES: tuple[NotePhrases, ...] = (
    *_rows(
        "difficulty_breathing", f'{GUIDE} line 174: "Difficulty breathing." Slow or shallow breathing and blue lips '
        "are respiratory depression (Infumorph/Duramorph FDA boxed warning; cyanosis)",
        en=("cant breathe", "couldnt breathe", "unable to breathe", "cant breath", "couldnt breath",
            "unable to breath", "hard to breath", "struggling to breath", "barely breathe", "barely breath",
            "barely breathing", "hard time breathing", "breathing is hard", "breathing is difficult",
            "cant get air", "cant get enough air",
            "trouble breathing", "difficulty breathing", "hard to breathe", "struggling to breathe",
            "struggle to breathe", "problems breathing", "breathing problems", "not breathing", "stopped breathing",
            "slow breathing", "shallow breathing", "breathing is slow", "breathing slowly", "gasping",
            "lips are blue", "lips look blue", "blue lips", "lips are turning blue"),
        es=("no puedo respirar", "no puede respirar", "no podia respirar", "dificultad para respirar",
            "dificultad respiratoria", "cuesta respirar", "problemas para respirar", "respiro mal", "respira mal",
            "no respira", "respiracion lenta", "respiracion superficial", "respira lento", "me ahogo",
            "se ahoga", "ahogando", "labios azules", "labios morados"),
    ),
    *_rows(
        "shortness_of_breath", f'{GUIDE} line 176: "New or increasing shortness of breath."',
        en=("short of breath", "shortness of breath", "out of breath", "breathless", "winded",
            "cant catch my breath"),
        es=("falta de aire", "falta el aire", "falta aire", "sin aliento", "sin aire", "disnea"),
    ),
    *_rows(
        "chest_pain", f'{GUIDE} line 70: "Blood clots." (row chest_pain of recovery.triage)',
        en=("chest pain", "pain in my chest", "pain in the chest", "chest hurts", "chest is hurting",
            "chest tightness", "tight chest", "chest feels tight", "chest pressure", "pressure in my chest"),
        es=("dolor en el pecho", "dolor de pecho", "duele el pecho", "dolor toracico", "opresion en el pecho",
            "presion en el pecho", "pecho apretado"),
    ),
    *_rows(
        "fever", f'{GUIDE} line 173: "A fever of more than 100.0°F."',
        en=("fever", "feverish", "high temperature", "temperature is high", "running a temperature"),
        es=("fiebre", "calentura", "febril", "temperatura alta", "tengo temperatura"),
        # cabin fever (stuck at home) and hay fever (an allergy) are no fever
        unless_previous=frozenset({"cabin", "hay"}),
    ),
    *_rows(
        "difficulty_walking", f'{GUIDE} line 175: "Difficulty walking or keeping your balance."',
        en=("cant walk", "unable to walk", "trouble walking", "difficulty walking",
            "hard to walk", "problems walking", "legs gave out", "legs giving out", "legs give out"),
        es=("no puedo caminar", "no puedo andar", "no puede caminar", "no puede andar", "dificultad para caminar",
            "dificultad para andar", "cuesta caminar", "cuesta andar", "problemas para caminar"),
    ),
    *_rows(
        "balance_problems", f'{GUIDE} line 175: "Difficulty walking or keeping your balance."',
        en=("lost my balance", "losing my balance", "lose my balance", "loss of balance", "off balance",
            "balance problems", "problems with my balance", "trouble with my balance", "cant keep my balance",
            "trouble keeping my balance", "hard to keep my balance", "unsteady",
            "keep falling", "wobbly"),
        es=("perdi el equilibrio", "pierdo el equilibrio", "perdida de equilibrio", "perdida del equilibrio",
            "problemas de equilibrio", "falta de equilibrio", "sin equilibrio", "no tengo equilibrio",
            "no puedo mantener el equilibrio", "cuesta mantener el equilibrio", "inestable", "me caigo"),
    ),
    *_rows(
        "limb_numbness", f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."',
        en=("numb", "numbness", "cant feel my legs", "cant feel my arms", "cant feel my feet",
            "cant feel my hands", "cant feel my leg", "cant feel my arm", "cant feel my foot", "cant feel my hand",
            "dont feel my legs", "dont feel my feet", "no feeling in my"),
        es=("entumecido", "entumecida", "entumecidos", "entumecidas", "entumecimiento", "adormecido",
            "adormecida", "adormecimiento", "dormida la pierna", "dormidas las piernas", "no siento las piernas",
            "no siento mis piernas", "no siento los brazos", "no siento los pies", "no siento la pierna"),
    ),
    *_rows(
        "limb_tingling", f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."',
        en=("tingling", "tingly", "pins and needles"),
        es=("hormigueo", "hormigueos", "cosquilleo"),
    ),
    *_rows(
        "limb_weakness", f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."',
        en=("weak legs", "legs are weak", "legs feel weak", "weakness in my legs", "weakness in my arms",
            "weak arms", "arms are weak", "arms feel weak", "cant move my legs", "cant move my arms",
            "cant lift my legs", "cant lift my arms"),
        es=("debilidad en las piernas", "debilidad en los brazos", "piernas debiles", "brazos debiles",
            "no puedo mover las piernas", "no puedo mover los brazos", "no puedo mover la pierna",
            "no puedo levantar las piernas", "no puedo levantar los brazos", "sin fuerza en las piernas",
            "sin fuerza en los brazos"),
    ),
    *_rows(
        "incision_bleeding", f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at '
        'your incision site."',
        en=("bleeding", "bleeds", "blood coming out", "blood soaked"),
        es=("sangrado", "sangra", "sangrando", "sale sangre"),
    ),
    *_rows(
        "incision_drainage", f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at '
        'your incision site."',
        en=("drainage", "draining", "oozing", "pus", "leaking fluid", "fluid leaking"),
        es=("supuracion", "supura", "supurando", "pus", "sale liquido", "drena", "drenando", "secrecion"),
    ),
    *_rows(
        "incision_redness", f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at '
        'your incision site."',
        en=("incision is red", "wound is red", "redness", "red and hot", "red and warm"),
        es=("enrojecimiento", "enrojecida", "enrojecido", "herida roja", "incision roja", "rojo y caliente",
            "roja y caliente"),
    ),
    *_rows(
        "incision_swelling", f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at '
        'your incision site."',
        en=("swelling", "swollen"),
        es=("hinchazon", "hinchada", "hinchado", "inflamada", "inflamado"),
    ),
    *_rows(
        "incision_pain", f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at '
        'your incision site."',
        en=("incision hurts", "incision pain", "wound hurts", "cut hurts", "pain at the incision",
            "pain in the incision", "pain at my incision"),
        es=("duele la herida", "duele la incision", "dolor en la herida", "dolor en la incision"),
    ),
    *_rows(
        "limb_pain", f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."',
        en=("leg pain", "legs hurt", "leg hurts", "arm pain", "arms hurt", "arm hurts", "pain in my leg",
            "pain in my legs", "pain in my arm", "pain in my arms", "pain down my leg"),
        es=("dolor en la pierna", "dolor en las piernas", "dolor en el brazo", "dolor en los brazos",
            "duele la pierna", "duelen las piernas", "duele el brazo", "duelen los brazos"),
    ),
    *_rows(
        "severe_pain_uncontrolled", f'{GUIDE} line 179: "Severe pain that does not respond to medicine."',
        en=("unbearable pain", "pain is unbearable", "excruciating", "worst pain", "medicine doesnt help",
            "medicine isnt helping", "meds dont help", "meds arent helping", "pain medicine is not working",
            "medicine does not help", "nothing helps the pain"),
        es=("dolor insoportable", "dolor muy fuerte", "dolor terrible", "el medicamento no me ayuda",
            "el medicamento no ayuda", "la medicina no me ayuda", "no se me quita el dolor",
            "no me calma el dolor", "nada me calma el dolor"),
    ),
    *_rows(
        "headache_upright", f'{GUIDE} line 71: "Cerebrospinal fluid (CSF) leak." (ICHD-3 7.2.1). Any headache a '
        "patient writes about is read as this sign: the care team asks whether it comes on upright, and with a "
        "fever it is row fever_with_meningeal_signs (IDSA 2017 healthcare-associated meningitis)",
        en=("headache", "head hurts", "head is pounding"),
        es=("dolor de cabeza", "duele la cabeza", "cefalea", "jaqueca"),
    ),
    *_rows(
        "stiff_neck", f'{GUIDE} lines 69 and 71 (infection; CSF leak; IDSA 2017 healthcare-associated meningitis)',
        en=("stiff neck", "neck is stiff", "neck stiffness", "cant bend my neck", "cant move my neck"),
        es=("rigidez en el cuello", "cuello rigido", "cuello esta rigido", "cuello duro", "cuello esta duro",
            "rigidez de nuca", "nuca rigida",
            "no puedo mover el cuello", "no puedo doblar el cuello"),
    ),
    *_rows(
        "withdrawal_signs", OVERDOSE_WITHDRAWAL,
        en=("withdrawal", "withdrawing"),
        es=("abstinencia", "sindrome de abstinencia"),
    ),
    *_rows(
        "overdose_signs", OVERDOSE_WITHDRAWAL,
        en=("overdose", "overdosed", "too much medicine", "pinpoint pupils", "tiny pupils"),
        es=("sobredosis", "demasiado medicamento", "pupilas muy pequenas", "pupilas pequenas"),
    ),
    *_rows(
        "pump_alarm", f'{GUIDE} lines 76 and 86: "Problems with the pump or catheter." / "Monitor your pump."',
        en=("pump alarm", "pump alarms", "pump alarmed", "pump is alarming", "pump alarming", "alarm on my pump",
            "alarm on the pump", "pump is beeping", "pump beeping", "pump beeps", "pump is making noise"),
        es=("alarma de la bomba", "alarma de mi bomba", "la bomba suena", "suena la bomba", "sono la bomba",
            "la bomba pita", "la bomba esta pitando", "bomba pitando", "la bomba hace ruido"),
    ),
    *_rows(
        "confusion", OVERDOSE_WITHDRAWAL,
        en=("im confused", "i am confused", "feel confused", "feeling confused", "is confused", "seems confused",
            "getting confused", "sudden confusion", "new confusion", "disoriented",
            "not making sense", "doesnt know where", "hallucinating", "hallucinations"),
        es=("estoy confundido", "estoy confundida", "esta confundido", "esta confundida", "me siento confundido",
            "me siento confundida", "confusion repentina", "desorientado",
            "desorientada", "no sabe donde esta", "alucinaciones", "alucinando", "no dice cosas con sentido"),
        # "confused about the dose" is a question, not the sign
        unless_next=frozenset({"about", "by", "with", "over", "sobre", "con", "por", "acerca"}),
    ),
    *_rows(
        "extreme_drowsiness", OVERDOSE_WITHDRAWAL,
        en=("cant stay awake", "cant wake up", "wont wake up",
            "hard to wake", "hard to wake up", "extremely drowsy", "extremely sleepy", "passing out", "passed out",
            "unresponsive", "keeps falling asleep", "keep falling asleep"),
        es=("no puedo mantenerme despierto", "no puedo mantenerme despierta", "no se despierta", "no despierta",
            "cuesta despertarlo", "cuesta despertarla", "somnolencia extrema", "me desmaye", "se desmayo",
            "no responde", "se queda dormido", "se queda dormida"),
    ),
    *_rows(
        "seizure", OVERDOSE_WITHDRAWAL + " (row seizure of recovery.triage)",
        en=("seizure", "seizures", "seizing", "convulsion", "convulsions", "convulsing"),
        es=("convulsion", "convulsiones", "convulsionando", "ataque epileptico", "crisis epileptica"),
    ),
    *_rows(
        "increased_spasticity", f'{GUIDE} lines 7, 38, 74 (spasticity; "a return of symptoms")',
        en=("spasticity", "spasms", "spasm", "muscles are stiff", "muscles are tight", "stiffer", "rigid"),
        es=("espasticidad", "espasmos", "espasmo", "rigidez muscular", "musculos rigidos", "musculos duros",
            "mas rigido", "mas rigida"),
    ),
    *_rows(
        "itching", f'{GUIDE} line 72 (withdrawal; row itching of recovery.triage)',
        en=("itching", "itchy", "itch", "itches"),
        es=("picazon", "comezon", "me pica", "picor", "prurito"),
    ),
    *_rows(
        "bowel_bladder_changes", f'{GUIDE} line 73: "Nerve damage." (NICE CKS, suspected cauda equina syndrome)',
        en=("cant pee", "cant urinate", "unable to urinate", "cant control my bladder",
            "cant control my bowels", "wet myself", "wet the bed", "lost control of my bladder",
            "lost control of my bowels", "incontinence", "incontinent", "numb between my legs",
            "numbness in my groin"),
        es=("no puedo orinar", "no puedo hacer pipi", "no controlo la orina", "no controlo el intestino",
            "se me escapa la orina", "me orine encima", "incontinencia", "no puedo evacuar",
            "perdi el control de la vejiga", "adormecida la entrepierna", "entumecida la entrepierna"),
    ),
)

# Real words one typo away from a sign word: never read as that sign.
NOT_TYPOS = frozenset({"fewer", "spams", "smelling", "spelling", "breeding", "blending", "pintando", "chess",
                       "discharged", "selling", "winked", "winced", "inches", "sizing", "overdone", "breeds",
                       "bleeps", "blends", "grasping", "tinkling", "tangling"})

# Words that negate a sign named within NEGATION_WINDOW words after them, in the same clause.
NEGATORS = frozenset({
    "no", "not", "without", "never", "none", "denies", "deny", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
    "werent", "havent", "hasnt", "hadnt", "nor", "nothing", "free",
    "sin", "nunca", "ni", "tampoco", "ningun", "ninguna", "ninguno", "nada", "niega",
})
NEGATION_WINDOW = 3
# The only words that may stand between a negator and the phrase it negates: "I don't have a fever", "I have not
# had any fever", "no tengo fiebre", "no hay pus". Any other word there says the negator is about something else:
# "not eating, can't walk" typed without its comma, "no appetite chest pain", "no energy fever".
NEGATION_BRIDGES = frozenset({
    "i", "im", "ive", "a", "an", "any", "the", "my", "have", "has", "had", "having", "got", "get", "getting", "feel",
    "feeling", "felt", "notice", "noticed", "see", "seen", "more", "new", "further", "real", "sign", "signs", "of",
    "symptoms", "is", "are", "was", "were", "been", "be", "there", "theres", "experiencing", "longer", "much",
    "significant", "noticeable", "obvious", "visible", "major", "unusual", "serious", "other", "extra", "big",
    "seeing", "it", "its", "think", "seem", "seems", "to",
    "tengo", "tiene", "tienes", "tenia", "tuve", "tuvo", "he", "ha", "han", "tenido", "hay", "habido", "hubo", "un",
    "una", "unos", "unas", "el", "la", "los", "las", "lo", "me", "se", "le", "te", "mi", "mis", "su", "sus", "de",
    "del", "mas", "senal", "senales", "signos", "sintomas", "noto", "siento", "presento", "presenta", "es", "esta",
    "estan", "ya", "nuevo", "nueva", "otro", "otra", "gran", "signo", "veo", "visto", "notado", "creo", "que",
    "tenga",
})
# Words that make a list of negated signs: "no numbness or tingling", "no fever or headache" (a sign word may then
# stand between the negator and the phrase).
LIST_WORDS = frozenset({"or", "nor", "o", "u", "ni"})
# A phrase that starts with one of these names an inability or an absence itself ("can't breathe", "not breathing",
# "no puedo respirar", "sin aire"): a negator before it never negates it ("no I can't breathe", "no no puedo respirar").
SELF_NEGATING_STARTS = frozenset({"cant", "couldnt", "unable", "wont"}) | NEGATORS
# After a negator, these words make it doubt or inability, not negation ("not sure", "no puedo").
NOT_NEGATION_AFTER = frozenset({"sure", "know", "certain", "se", "sabe", "estoy", "puedo", "puede", "podia", "pude",
                                "logro", "consigo", "able"})
# A negator right after these is part of an inability ("can not walk").
NOT_NEGATION_BEFORE = frozenset({"can", "could"})
# Words that end a negation's clause. "and" does too: "no fever and can't breathe" reports trouble breathing;
# reading "no numbness and tingling" as tingling costs a call, the other way round could cost a life. "or" and
# "ni" do not: "no fever or chills" negates both.
CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "yet", "except", "and", "also", "plus", "then",
                          "pero", "aunque", "sino", "excepto", "salvo", "y", "e", "ademas", "luego", "tambien"})

# Words that only make a phrase stronger: left out of notes and phrases alike ("respiración muy lenta").
# "demasiado" is not one: "demasiado medicamento" (too much medicine) read as "medicamento" was an overdose in every
# note that named the medicine ("tomé mi medicamento").
FILLERS = frozenset({"very", "really", "so", "too", "quite", "super", "muy", "mucho", "mucha", "bastante", "tan"})

_CLAUSE_PUNCTUATION = re.compile(r"[.,;:!?¡¿()\n]+")
_WORD = re.compile(r"[a-z0-9]+")
TYPO_MIN_LENGTH = 5


def normalise(text: str) -> str:
    """Lower case, without accents and apostrophes ("Can't" -> "cant", "respiración" -> "respiracion")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"['’`´]", "", plain)


def _words(text: str) -> list[str]:
    """The words of a normalised text, fillers left out, "cannot" and "can not" made "cant"."""
    words: list[str] = []
    for word in _WORD.findall(text):
        if word in FILLERS:
            continue
        if word == "not" and words and words[-1] == "can":
            words[-1] = "cant"
        else:
            words.append("cant" if word == "cannot" else word)
    return words


def _clauses(text: str) -> list[list[str]]:
    """The note's words, cut at punctuation (CLAUSE_WORDS end a negation in _negated, and may be in a phrase:
    "pins and needles")."""
    return [words for part in _CLAUSE_PUNCTUATION.split(normalise(text)) if (words := _words(part))]


def _one_typo_apart(word: str, target: str) -> bool:
    """Damerau-Levenshtein distance at most 1 (one substitution, insertion, deletion or adjacent swap)."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and word[diffs[0]] == target[diffs[1]] and word[diffs[1]] == target[diffs[0]])
    shorter, longer = sorted((word, target), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


@cache
def _vocabulary() -> frozenset[str]:
    return frozenset(word for _, phrases in _phrase_words() for phrase in phrases for word in phrase)


@cache
def _typo_targets() -> dict[str, tuple[str, ...]]:
    """The phrase words a typo may stand for (5 letters or more), by first letter, in a fixed order."""
    targets: dict[str, list[str]] = {}
    for target in sorted(_vocabulary()):
        if len(target) >= TYPO_MIN_LENGTH:
            targets.setdefault(target[0], []).append(target)
    return {letter: tuple(words) for letter, words in targets.items()}


@cache
def _longest_word() -> int:
    return max(map(len, _vocabulary()))


def _canonical(word: str) -> str:
    """The phrase word `word` is, allowing one typo in a word of 5 letters or more with the right first letter."""
    if len(word) < TYPO_MIN_LENGTH or len(word) > _longest_word() + 1:  # one typo adds one letter at most
        return word
    return _canonical_of_typo(word)


@lru_cache(maxsize=65536)  # bounded in entries, and each entry is short (_canonical): patients write any word
def _canonical_of_typo(word: str) -> str:
    if word in _vocabulary() or word in NOT_TYPOS or word in NEGATORS:
        return word
    for target in _typo_targets().get(word[0], ()):
        if _one_typo_apart(word, target):
            return target
    return word


def _negated(words: list[str], start: int) -> bool:
    """Whether a negator stands within NEGATION_WINDOW words before `start`, in the same clause, with only
    NEGATION_BRIDGES (or a list of signs) between (doubt and inability aside)."""
    if words[start] in SELF_NEGATING_STARTS:
        return False
    for at in range(max(0, start - NEGATION_WINDOW), start):
        if words[at] not in NEGATORS:
            continue
        if at > 0 and words[at - 1] in NOT_NEGATION_BEFORE:
            continue
        between = words[at + 1:start]
        if any(word in NOT_NEGATION_AFTER or word in CLAUSE_WORDS for word in between):
            continue
        listed = any(word in LIST_WORDS for word in between)
        if all(word in NEGATION_BRIDGES or word in LIST_WORDS or (listed and word in _vocabulary())
               for word in between):
            return True
    return False


@cache
def _phrase_words() -> tuple[tuple[NotePhrases, tuple[tuple[str, ...], ...]], ...]:
    return tuple((row, tuple(dict.fromkeys(tuple(_words(normalise(phrase))) for phrase in row.phrases)))
                 for row in NOTE_PHRASES)


@cache
def _phrase_index() -> dict[tuple[str, str | None], tuple[tuple[int, tuple[str, ...]], ...]]:
    """The phrases by their first two words (one-word phrases by their word and None), each with its row's number:
    a note is read in one pass over its words, whatever its length."""
    index: dict[tuple[str, str | None], list[tuple[int, tuple[str, ...]]]] = {}
    for number, (_, phrases) in enumerate(_phrase_words()):
        for phrase in phrases:
            index.setdefault((phrase[0], phrase[1] if len(phrase) > 1 else None), []).append((number, phrase))
    return {key: tuple(entries) for key, entries in index.items()}


def note_phrase_rows(note: str) -> tuple[NotePhrases, ...]:
    """The phrase rows a note holds, not negated (both languages are read: a patient may write either)."""
    if not note.strip():
        return ()
    rows, index = _phrase_words(), _phrase_index()
    found: set[int] = set()
    for words in ([_canonical(word) for word in words] for words in _clauses(note)):
        for at, word in enumerate(words):
            following = words[at + 1] if at + 1 < len(words) else None
            for number, phrase in (*index.get((word, None), ()), *index.get((word, following), ())):
                end = at + len(phrase)
                if (number not in found and tuple(words[at:end]) == phrase
                        and not (end < len(words) and words[end] in rows[number][0].unless_next)
                        and not (at > 0 and words[at - 1] in rows[number][0].unless_previous)
                        and not _negated(words, at)):
                    found.add(number)
    return tuple(row for number, (row, _) in enumerate(rows) if number in found)


def note_signs(note: str) -> frozenset[str]:
    """The symptom codes a note names in the patient's own words."""
    return frozenset(row.sign for row in note_phrase_rows(note))
