"""Every word of the link pages, in English and Welsh: the pages, the form labels,
hints and error messages.

Where the staff forms already say it, the English is theirs (the phone, postcode and
date messages); what they say about the case to a caseworker is said here to the
person themselves ("before you could have passed it on"). `text(key, language,
**values)` picks the language (English when there is no Welsh) and fills it in.
"""

from __future__ import annotations

from cases.models import SettingKind
from online.texts import BRAND, LANGUAGES
from people.phones import MOBILE_LENGTH_MESSAGE, NOT_IN_USE_MESSAGE, UK_PHONE_MESSAGE

from ..desk.case_forms import VisitForm
from ..desk.contact_forms import ContactRowForm

_STAFF_ROW = ContactRowForm.base_fields
_STAFF_VISIT = VisitForm.base_fields

TEXTS: dict[str, dict[str, str]] = {
    # --- the layout --------------------------------------------------------------------
    "service": BRAND,  # the brand its texts are signed with
    "skip": {"en": "Skip to main content", "cy": "Neidio i'r prif gynnwys"},
    "switch": {"en": "Cymraeg", "cy": "English"},
    "language_nav": {"en": "Language", "cy": "Iaith"},
    "copyright": {"en": "© NHS England", "cy": "© GIG Lloegr"},
    "error_title": {"en": "Error", "cy": "Gwall"},
    "error_summary": {"en": "There is a problem", "cy": "Mae problem"},
    "error_prefix": {"en": "Error:", "cy": "Gwall:"},
    "send": {"en": "Send", "cy": "Anfon"},
    "help_119": {
        "en": "If you need help, call 119. In an emergency, call 999.",
        "cy": "Os oes angen help arnoch, ffoniwch 119. Mewn argyfwng, ffoniwch 999.",
    },
    # --- a link that does not work, and too many requests -------------------------------
    "unusable_title": {
        "en": "This link does not work",
        "cy": "Nid yw'r ddolen hon yn gweithio",
    },
    "unusable_body": {
        "en": (
            "This link does not work. It may have expired, or have been used already. "
            "If you need help, call 119."
        ),
        "cy": (
            "Nid yw'r ddolen hon yn gweithio. Efallai ei bod wedi dod i ben, neu wedi "
            "cael ei defnyddio'n barod. Os oes angen help arnoch, ffoniwch 119."
        ),
    },
    # A link that works, but there is nothing left for it to do: its answers were
    # sent already (a second tap of Send), or the person is being helped otherwise.
    "already_title": {
        "en": "We already have your answers",
        "cy": "Mae eich atebion gennym yn barod",
    },
    "already_body": {
        "en": "You have sent them already. You do not need to send them again.",
        "cy": "Rydych wedi eu hanfon yn barod. Nid oes angen i chi eu hanfon eto.",
    },
    "moved_on_title": {
        "en": "You do not need to do anything here",
        "cy": "Nid oes angen i chi wneud unrhyw beth yma",
    },
    "moved_on_local_team": {
        "en": (
            "Our local team is in touch with you about this now. If you need help, "
            "call 119."
        ),
        "cy": (
            "Mae ein tîm lleol mewn cysylltiad â chi am hyn nawr. Os oes angen help "
            "arnoch, ffoniwch 119."
        ),
    },
    "moved_on_tracer": {
        "en": (
            "A contact tracer is in touch with you about this now. If you need help, "
            "call 119."
        ),
        "cy": (
            "Mae olrheiniwr cysylltiadau mewn cysylltiad â chi am hyn nawr. Os oes "
            "angen help arnoch, ffoniwch 119."
        ),
    },
    "busy_title": {
        "en": "Please wait before trying again",
        "cy": "Arhoswch cyn rhoi cynnig arall arni",
    },
    "busy_body": {
        "en": (
            "This page has been opened too many times in a short time. Wait 10 "
            "minutes, then try again. If you need help now, call 119."
        ),
        "cy": (
            "Mae'r dudalen hon wedi cael ei hagor ormod o weithiau mewn amser byr. "
            "Arhoswch 10 munud, yna rhowch gynnig arall arni. Os oes angen help arnoch "
            "nawr, ffoniwch 119."
        ),
    },
    # --- advice, for a case and for a contact -------------------------------------------
    "isolate_until": {
        "en": "Stay at home and self-isolate until the end of {until}.",
        "cy": "Arhoswch gartref a hunanynysu tan ddiwedd {until}.",
    },
    "advice_heading": {"en": "What to do", "cy": "Beth i'w wneud"},
    "advice_work": {
        "en": "Do not go to work, school or any public place.",
        "cy": "Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw le cyhoeddus.",
    },
    "advice_visitors": {
        "en": "Do not have visitors in your home, unless they are giving you care "
        "you need.",
        "cy": "Peidiwch â chael ymwelwyr yn eich cartref, oni bai eu bod yn rhoi gofal "
        "sydd ei angen arnoch.",
    },
    "advice_shopping": {
        "en": "Ask friends or family to get food and medicine for you, or order it "
        "online.",
        "cy": "Gofynnwch i ffrindiau neu deulu gael bwyd a meddyginiaeth i chi, neu "
        "archebwch ar-lein.",
    },
    # A contact's only: the case has tested positive already.
    "advice_symptoms": {
        "en": "If you get symptoms of coronavirus, call 119 to get a test.",
        "cy": "Os cewch symptomau coronafeirws, ffoniwch 119 i gael prawf.",
    },
    # --- the case's page -----------------------------------------------------------------
    # Headed with the person's first name, as the text carrying the link is (one
    # phone can be given for several people); without it when it is not fit to show
    # (pages.online.views._titled).
    "case_title": {
        "en": "{name}, tell us who you have been near",
        "cy": "{name}, dywedwch wrthym pwy rydych wedi bod yn agos atynt",
    },
    "case_title_unnamed": {
        "en": "Tell us who you have been near",
        "cy": "Dywedwch wrthym pwy rydych wedi bod yn agos atynt",
    },
    # Someone under 16 (their page, case or contact): a parent's phone is often the
    # one given for a child's test. The first name only, never the age: a link can
    # be forwarded (pages.online.views._for_a_child).
    "for_a_child": {
        "en": (
            "This is about {name}, who is under 16. If you are their parent or "
            "guardian, please answer for them."
        ),
        "cy": (
            "Mae hyn am {name}, sydd o dan 16 oed. Os ydych yn rhiant neu'n "
            "warcheidwad iddynt, atebwch ar eu rhan os gwelwch yn dda."
        ),
    },
    # Read out before an inset text by a screen reader (visually hidden).
    "information_prefix": {"en": "Information:", "cy": "Gwybodaeth:"},
    "for_a_child_unnamed": {
        "en": (
            "This is about someone under 16. If you are their parent or guardian, "
            "please answer for them."
        ),
        "cy": (
            "Mae hyn am rywun o dan 16 oed. Os ydych yn rhiant neu'n warcheidwad "
            "iddynt, atebwch ar eu rhan os gwelwch yn dda."
        ),
    },
    "case_lede": {
        "en": "Your coronavirus test was positive.",
        "cy": "Roedd eich prawf coronafeirws yn bositif.",
    },
    "case_why": {
        "en": (
            "Tell us who you were near and where you have been, so we can warn them. "
            "We will not tell them your name."
        ),
        "cy": (
            "Dywedwch wrthym pwy oeddech yn agos atynt a ble rydych wedi bod, er mwyn "
            "i ni eu rhybuddio. Ni fyddwn yn dweud eich enw wrthynt."
        ),
    },
    "people_heading": {
        "en": "People you were near",
        "cy": "Pobl y buoch yn agos atynt",
    },
    "people_hint": {
        "en": (
            "From {start} until today: the people you live with, and anyone you were "
            "face to face with, or within 2 metres of for 15 minutes or more. Leave "
            "the rows you do not need empty."
        ),
        "cy": (
            "O {start} tan heddiw: y bobl rydych yn byw gyda nhw, ac unrhyw un y "
            "buoch wyneb yn wyneb â nhw, neu o fewn 2 fetr iddynt am 15 munud neu "
            "fwy. Gadewch y rhesi nad oes eu hangen arnoch yn wag."
        ),
    },
    "person_n": {"en": "Person {n}", "cy": "Person {n}"},
    "more_people": {
        "en": "Add more people (up to 6)",
        "cy": "Ychwanegu mwy o bobl (hyd at 6)",
    },
    "places_heading": {"en": "Places you have been", "cy": "Lleoedd rydych wedi bod"},
    "places_hint": {
        "en": (
            "Places outside your home where you spent time since {start}, such as "
            "your work, a school or a place of worship. Leave the rows empty if there "
            "were none."
        ),
        "cy": (
            "Lleoedd y tu allan i'ch cartref lle buoch yn treulio amser ers {start}, "
            "fel eich gwaith, ysgol neu addoldy. Gadewch y rhesi'n wag os nad oedd "
            "unrhyw rai."
        ),
    },
    "place_n": {"en": "Place {n}", "cy": "Lle {n}"},
    "more_places": {
        "en": "Add more places (up to 3)",
        "cy": "Ychwanegu mwy o leoedd (hyd at 3)",
    },
    "no_one": {
        "en": "I was not near anyone and have not been anywhere in that time",
        "cy": "Ni fûm yn agos at unrhyw un ac nid wyf wedi bod yn unman yn ystod yr "
        "amser hwnnw",
    },
    "nothing_entered": {
        "en": (
            "Enter a person you were near or a place you have been, or tick the box "
            "to say there were none."
        ),
        "cy": (
            "Rhowch berson y buoch yn agos ato neu le rydych wedi bod, neu ticiwch y "
            "blwch i ddweud nad oedd unrhyw rai."
        ),
    },
    # the contact rows
    "first_name": {"en": "First name", "cy": "Enw cyntaf"},
    "last_name": {"en": "Last name", "cy": "Cyfenw"},
    "phone": {
        "en": "Mobile or other phone number",
        "cy": "Rhif ffôn symudol neu rif ffôn arall",
    },
    "phone_hint": {
        "en": "Give a phone number or an email address, or both.",
        "cy": "Rhowch rif ffôn neu gyfeiriad e-bost, neu'r ddau.",
    },
    "email": {"en": "Email address", "cy": "Cyfeiriad e-bost"},
    "last_near": {
        "en": "Date you were last near them",
        "cy": "Y dyddiad y buoch yn agos atynt ddiwethaf",
    },
    "household": {"en": "Do they live with you?", "cy": "Ydyn nhw'n byw gyda chi?"},
    "yes_they_do": {"en": "Yes", "cy": "Ydyn"},
    "no_they_do_not": {"en": "No", "cy": "Nac ydyn"},
    # the place rows
    "place_kind": {"en": "Kind of place", "cy": "Math o le"},
    "choose": {"en": "Choose…", "cy": "Dewiswch…"},
    "place_name": {"en": "Name of the place", "cy": "Enw'r lle"},
    "place_date": {"en": "Date you were there", "cy": "Y dyddiad roeddech chi yno"},
    "their_postcode": {
        "en": "Their postcode, if you know it",
        "cy": "Eu cod post, os ydych yn ei wybod",
    },
    "their_postcode_hint": {
        "en": (
            "Only if they do not live with you. It tells us which local team can "
            "help them."
        ),
        "cy": (
            "Dim ond os nad ydyn nhw'n byw gyda chi. Mae'n dweud wrthym pa dîm lleol "
            "all eu helpu."
        ),
    },
    "postcode_optional": {"en": "Postcode (optional)", "cy": "Cod post (dewisol)"},
    "postcode_hint": {"en": "If you know it.", "cy": "Os ydych yn ei wybod."},
    # --- the contact's page --------------------------------------------------------------
    "contact_title": {
        "en": "{name}, you need to self-isolate",
        "cy": "{name}, mae angen i chi hunanynysu",
    },
    "contact_title_unnamed": {
        "en": "You need to self-isolate",
        "cy": "Mae angen i chi hunanynysu",
    },
    # Once their time to stay at home has ended (work.rules.isolation_over): the
    # heading asks nothing of them.
    "contact_title_over": {
        "en": "{name}, your time to stay at home has ended",
        "cy": "{name}, mae eich cyfnod i aros gartref wedi dod i ben",
    },
    "contact_title_over_unnamed": {
        "en": "Your time to stay at home has ended",
        "cy": "Mae eich cyfnod i aros gartref wedi dod i ben",
    },
    "contact_lede": {
        "en": "You have been near someone who has coronavirus.",
        "cy": "Rydych wedi bod yn agos at rywun sydd â coronafeirws.",
    },
    "will_isolate": {
        "en": "Will you stay at home until then?",
        "cy": "A fyddwch yn aros gartref tan hynny?",
    },
    "will_isolate_yes": {
        "en": "I will stay at home until then",
        "cy": "Byddaf yn aros gartref tan hynny",
    },
    "will_isolate_no": {
        "en": "I cannot, or I need to talk to someone: please phone me",
        "cy": "Ni allaf, neu mae angen i mi siarad â rhywun: ffoniwch fi",
    },
    "support": {
        "en": "Do you need help while you stay at home?",
        "cy": "Oes angen help arnoch tra byddwch yn aros gartref?",
    },
    "support_hint": {
        "en": "Select all that apply. Your local council will contact you.",
        "cy": "Dewiswch bob un sy'n berthnasol. Bydd eich cyngor lleol yn cysylltu "
        "â chi.",
    },
    "support_money": {
        "en": "Money: the Test and Trace support payment",
        "cy": "Arian: taliad cymorth Profi ac Olrhain",
    },
    "support_food": {"en": "Food", "cy": "Bwyd"},
    "support_medicine": {"en": "Medicine", "cy": "Meddyginiaeth"},
    "note": {
        "en": "Anything else you want to tell us (optional)",
        "cy": "Unrhyw beth arall yr hoffech ei ddweud wrthym (dewisol)",
    },
    "note_hint": {"en": "Up to 500 characters.", "cy": "Hyd at 500 nod."},
    "your_postcode": {
        "en": "The postcode where you are staying",
        "cy": "Cod post y lle rydych yn aros",
    },
    "your_postcode_hint": {
        "en": "We need it if you ask for help, so that your local council can help you.",
        "cy": (
            "Mae ei angen arnom os ydych yn gofyn am help, fel y gall eich cyngor "
            "lleol eich helpu."
        ),
    },
    "your_phone": {"en": "Your phone number", "cy": "Eich rhif ffôn"},
    "your_phone_hint": {
        "en": "We need it if you ask us to phone you.",
        "cy": "Mae ei angen arnom os ydych yn gofyn i ni eich ffonio.",
    },
    "err_phone_to_call": {
        "en": "Enter your phone number, so that we can phone you.",
        "cy": "Rhowch eich rhif ffôn, fel y gallwn eich ffonio.",
    },
    "err_postcode_for_help": {
        "en": "Enter the postcode where you are staying, so that your council can help",
        "cy": (
            "Rhowch god post y lle rydych yn aros, fel y gall eich cyngor eich helpu"
        ),
    },
    # --- thank you ----------------------------------------------------------------------
    "thanks_title": {"en": "Thank you", "cy": "Diolch"},
    "thanks_case": {
        "en": (
            "We have your answers. We will contact the people you told us about. We "
            "will not tell them your name."
        ),
        "cy": (
            "Mae eich atebion gennym. Byddwn yn cysylltu â'r bobl y dywedoch wrthym "
            "amdanynt. Ni fyddwn yn dweud eich enw wrthynt."
        ),
    },
    "thanks_isolate": {
        "en": "We have your answer.",
        "cy": "Mae eich ateb gennym.",
    },
    "thanks_support": {
        "en": "Your local council will contact you about the help you asked for.",
        "cy": "Bydd eich cyngor lleol yn cysylltu â chi am yr help y gofynnoch amdano.",
    },
    "thanks_support_phone": {
        "en": (
            "Your local council will phone you about staying at home and the help "
            "you asked for."
        ),
        "cy": (
            "Bydd eich cyngor lleol yn eich ffonio am aros gartref a'r help y "
            "gofynnoch amdano."
        ),
    },
    "thanks_phone": {
        "en": "Someone from NHS Test and Trace will phone you soon.",
        "cy": "Bydd rhywun o GIG Profi ac Olrhain yn eich ffonio cyn bo hir.",
    },
    "remember": {
        "en": "Remember: stay at home until the end of {until}.",
        "cy": "Cofiwch: arhoswch gartref tan ddiwedd {until}.",
    },
    # A contact's link after they were named again for a later date (a new contact,
    # told with its own link, or by a call).
    "date_changed": {
        "en": (
            "You have been near someone else who has coronavirus since: your date to "
            "stay at home has changed. Stay at home until the end of {until}."
        ),
        "cy": (
            "Rydych wedi bod yn agos at rywun arall sydd â coronafeirws ers hynny: "
            "mae eich dyddiad i aros gartref wedi newid. Arhoswch gartref tan ddiwedd "
            "{until}."
        ),
    },
    "date_changed_sent": {
        "en": "We have sent you a new message about it, with a new link.",
        "cy": "Rydym wedi anfon neges newydd atoch am hyn, gyda dolen newydd.",
    },
    "date_changed_in_touch": {
        "en": "We will be in touch with you about it.",
        "cy": "Byddwn yn cysylltu â chi am hyn.",
    },
    # --- error messages -----------------------------------------------------------------
    # The staff forms' own English where they say it (pages.desk).
    "err_first_name": {
        "en": _STAFF_ROW["first_name"].error_messages["required"],
        "cy": "Rhowch eu henw cyntaf.",
    },
    "err_last_name": {
        "en": _STAFF_ROW["last_name"].error_messages["required"],
        "cy": "Rhowch eu cyfenw.",
    },
    "err_phone_or_email": {
        "en": "Enter their phone number or email address.",
        "cy": "Rhowch eu rhif ffôn neu eu cyfeiriad e-bost.",
    },
    "err_email": {
        "en": "Enter an email address in the correct format, like name@example.com",
        "cy": "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com",
    },
    # In English the validator's own words are shown (people.phones), by its code.
    "err_invalid_phone": {
        "en": UK_PHONE_MESSAGE,
        "cy": "Rhowch rif ffôn yn y DU, fel 07911 123456 neu 0114 273 1234.",
    },
    "err_not_in_use": {
        "en": NOT_IN_USE_MESSAGE,
        "cy": "Nid yw'r rhif hwn yn cael ei ddefnyddio yn y DU: gwiriwch ef gyda nhw.",
    },
    "err_mobile_length": {
        "en": MOBILE_LENGTH_MESSAGE,
        "cy": "Mae gan rif ffôn symudol yn y DU 11 digid, fel 07911 123456: gwiriwch "
        "y rhif.",
    },
    "err_abroad": {
        # The staff message ends "or leave it to the local team": words for staff.
        "en": "This is not a UK number (it starts +{code}): give a UK number, or "
        "their email address.",
        "cy": "Nid yw hwn yn rhif yn y DU (mae'n dechrau +{code}): rhowch rif yn y DU, "
        "neu eu cyfeiriad e-bost.",
    },
    # The same, said of the person's own number.
    "err_own_not_in_use": {
        "en": "This number is not in use in the UK: check it.",
        "cy": "Nid yw'r rhif hwn yn cael ei ddefnyddio yn y DU: gwiriwch ef.",
    },
    "err_own_abroad": {
        "en": "This is not a UK number (it starts +{code}): give a UK number.",
        "cy": "Nid yw hwn yn rhif yn y DU (mae'n dechrau +{code}): rhowch rif yn y DU.",
    },
    "err_last_near": {
        "en": "Enter the date you were last near them.",
        "cy": "Rhowch y dyddiad y buoch yn agos atynt ddiwethaf.",
    },
    "err_date_invalid": {
        "en": _STAFF_ROW["exposure_date"].error_messages["invalid"],
        "cy": "Rhowch ddyddiad go iawn, fel 10/01/2021.",
    },
    "err_last_near_future": {
        "en": "The date you were last near them cannot be in the future.",
        "cy": "Ni all y dyddiad y buoch yn agos atynt ddiwethaf fod yn y dyfodol.",
    },
    "err_before_infectious": {
        # The staff form's rule and words, said to the case themselves.
        "en": "That is before you could have passed it on (from {start}): check the "
        "date.",
        "cy": "Mae hynny cyn y gallech fod wedi'i drosglwyddo (o {start}): gwiriwch y "
        "dyddiad.",
    },
    "err_after_isolation": {
        # The staff form's rule and words (work.rules.exposure_date_problem): after
        # the case's own isolation ended, said to the case themselves. ("ar", like
        # "o", softens the Welsh date after it.)
        "en": "That is after your isolation ended (on {end}): you could no longer "
        "have passed it on then. Check the date.",
        "cy": "Mae hynny ar ôl i'ch cyfnod i aros gartref ddod i ben (ar {end}): ni "
        "allech fod wedi'i drosglwyddo bryd hynny. Gwiriwch y dyddiad.",
    },
    "err_isolation_over": {
        "en": "Their time to stay at home after that day ended on {over}: you do "
        "not need to tell us about them.",
        "cy": "Daeth eu cyfnod i aros gartref ar ôl y diwrnod hwnnw i ben ar {over}: "
        "nid oes angen i chi ddweud wrthym amdanynt.",
    },
    "err_household": {
        "en": "Say whether they live with you.",
        "cy": "Dywedwch a ydyn nhw'n byw gyda chi.",
    },
    "err_place_name": {
        "en": _STAFF_VISIT["name"].error_messages["required"],
        "cy": "Rhowch enw'r lle.",
    },
    "err_place_kind": {
        "en": _STAFF_VISIT["kind"].error_messages["required"],
        "cy": "Dewiswch y math o le.",
    },
    "err_place_date": {
        "en": "Enter the date you were there.",
        "cy": "Rhowch y dyddiad roeddech chi yno.",
    },
    "err_place_too_early": {
        # The staff form's rule (work.rules.visit_date_problem), said to the case.
        "en": "Tell us about places from {start} onwards: check the date.",
        "cy": "Dywedwch wrthym am leoedd o {start} ymlaen: gwiriwch y dyddiad.",
    },
    "err_place_future": {
        "en": "The date of the visit cannot be in the future.",
        "cy": "Ni all dyddiad yr ymweliad fod yn y dyfodol.",
    },
    "err_invalid_postcode": {
        # In English the validator's own words are shown (areas.postcodes).
        "en": "Enter a full UK postcode, such as SW1A 1AA.",
        "cy": "Rhowch god post llawn yn y DU, fel SW1A 1AA.",
    },
    "err_already": {
        "en": "You have already told us about this person: enter each person once.",
        "cy": "Rydych eisoes wedi dweud wrthym am y person hwn: rhowch bob person "
        "unwaith.",
    },
    "err_refused": {
        "en": "We could not add this person: check their details.",
        "cy": "Ni allem ychwanegu'r person hwn: gwiriwch eu manylion.",
    },
    "err_too_long": {
        "en": "Enter %(limit_value)d characters or fewer.",
        "cy": "Rhowch %(limit_value)d nod neu lai.",
    },
    "err_choice": {
        "en": "Select one of the choices shown.",
        "cy": "Dewiswch un o'r dewisiadau a ddangosir.",
    },
    "err_will_isolate": {
        "en": "Select whether you will stay at home until then.",
        "cy": "Dewiswch a fyddwch yn aros gartref tan hynny.",
    },
    "err_null_characters": {
        # Django's own words are "Null characters are not allowed.": a character
        # no one types, pasted in from somewhere.
        "en": "This has a character in it that we cannot take: type it again.",
        "cy": "Mae nod ynddo na allwn ei dderbyn: teipiwch ef eto.",
    },
    "err_note_long": {
        "en": "Your note must be 500 characters or fewer.",
        "cy": "Rhaid i'ch nodyn fod yn 500 nod neu lai.",
    },
    # --- a case's link sent again; a contact whose time at home has ended ----------
    "thanks_case_more": {
        "en": (
            "We have added the people you have just told us about to those you sent "
            "before. We will contact them. We will not tell them your name."
        ),
        "cy": (
            "Rydym wedi ychwanegu'r bobl rydych newydd ddweud wrthym amdanynt at y "
            "rhai a anfonoch o'r blaen. Byddwn yn cysylltu â nhw. Ni fyddwn yn dweud "
            "eich enw wrthynt."
        ),
    },
    "thanks_case_more_places": {
        "en": (
            "We have added the places you have just told us about to those you sent "
            "before."
        ),
        "cy": (
            "Rydym wedi ychwanegu'r lleoedd rydych newydd ddweud wrthym amdanynt at y "
            "rhai a anfonoch o'r blaen."
        ),
    },
    "thanks_case_more_both": {
        "en": (
            "We have added the people and places you have just told us about to those "
            "you sent before. We will contact the people. We will not tell them your "
            "name."
        ),
        "cy": (
            "Rydym wedi ychwanegu'r bobl a'r lleoedd rydych newydd ddweud wrthym "
            "amdanynt at y rhai a anfonoch o'r blaen. Byddwn yn cysylltu â'r bobl. Ni "
            "fyddwn yn dweud eich enw wrthynt."
        ),
    },
    "not_saved_title": {
        "en": "We could not save these people",
        "cy": "Ni allem gadw'r bobl hyn",
    },
    "not_saved_body": {
        "en": (
            "This link can no longer take the people you have just told us about, "
            "so we have not saved them:"
        ),
        "cy": (
            "Ni all y ddolen hon dderbyn y bobl rydych newydd ddweud wrthym amdanynt "
            "bellach, felly nid ydym wedi eu cadw:"
        ),
    },
    "not_saved_beyond": {
        "en": (
            "One link can take up to {most} people, so we have not saved these people "
            "you told us about:"
        ),
        "cy": (
            "Gall un ddolen dderbyn hyd at {most} o bobl, felly nid ydym wedi cadw'r "
            "bobl hyn y dywedoch wrthym amdanynt:"
        ),
    },
    "not_saved_phone": {
        "en": "Please call 119 and tell us about them.",
        "cy": "Ffoniwch 119 a dywedwch wrthym amdanynt.",
    },
    # The case with its local team (work.online.case_with_its_team): the team, not
    # 119, adds them, and its page says how many were not saved.
    "not_saved_local_team": {
        "en": (
            "Our local team is in touch with you about this now. Tell them about "
            "these people."
        ),
        "cy": (
            "Mae ein tîm lleol mewn cysylltiad â chi am hyn nawr. Dywedwch wrthynt "
            "am y bobl hyn."
        ),
    },
    # The positive result behind the link withdrawn (sent in error: work.withdraw):
    # the person has been texted what it means for them.
    "withdrawn_case": {
        "en": (
            "The positive test result this link was about has been withdrawn: it was "
            "sent to us in error. You do not need to tell us who you have been near "
            "or where you have been, and nothing you typed here was kept. If you "
            "need help, call 119."
        ),
        "cy": (
            "Mae'r canlyniad prawf positif yr oedd y ddolen hon yn ymwneud ag ef wedi'i "
            "dynnu'n ôl: cafodd ei anfon atom mewn camgymeriad. Nid oes angen i chi "
            "ddweud wrthym pwy oeddech yn agos atynt na ble rydych wedi bod, ac ni "
            "chadwyd dim a deipiwyd gennych yma. Os oes angen help arnoch, ffoniwch "
            "119."
        ),
    },
    "withdrawn_contact": {
        "en": (
            "The test result behind this link has been withdrawn: it was sent to us "
            "in error. You do not need to answer. If you need help, call 119."
        ),
        "cy": (
            "Mae'r canlyniad prawf y tu ôl i'r ddolen hon wedi'i dynnu'n ôl: cafodd "
            "ei anfon atom mewn camgymeriad. Nid oes angen i chi ateb. Os oes angen "
            "help arnoch, ffoniwch 119."
        ),
    },
    "moved_on_done": {
        "en": (
            "A contact tracer has finished this with you. If you need help, call 119."
        ),
        "cy": (
            "Mae olrheiniwr cysylltiadau wedi gorffen hyn gyda chi. Os oes angen help "
            "arnoch, ffoniwch 119."
        ),
    },
    "isolation_over": {
        "en": "Your time to stay at home ended on {until}.",
        "cy": "Daeth eich cyfnod i aros gartref i ben ar {until}.",
    },
    "over_call": {
        "en": "Do you want us to phone you?",
        "cy": "Ydych chi am i ni eich ffonio?",
    },
    "over_call_no": {
        "en": "No, I do not need a call",
        "cy": "Na, nid oes angen galwad arnaf",
    },
    "over_call_yes": {
        "en": "Yes, I need to talk to someone: please phone me",
        "cy": "Oes, mae angen i mi siarad â rhywun: ffoniwch fi",
    },
    "over_err_call": {
        "en": "Select whether you want us to phone you.",
        "cy": "Dewiswch a ydych am i ni eich ffonio.",
    },
}

SETTING_KINDS_CY = {
    SettingKind.HOUSEHOLD: "Cartref",
    SettingKind.WORKPLACE: "Gweithle",
    SettingKind.SCHOOL: "Ysgol neu feithrinfa",
    SettingKind.UNIVERSITY: "Prifysgol",
    SettingKind.CARE_HOME: "Cartref gofal",
    SettingKind.HOSPITAL: "Ysbyty neu glinig",
    SettingKind.PRISON: "Carchar",
    SettingKind.TRANSPORT: "Trafnidiaeth",
    SettingKind.VENUE: "Lletygarwch neu leoliad",
    SettingKind.WORSHIP: "Addoldy",
    SettingKind.OTHER: "Arall",
}


def text(key: str, language: str = "en", **values: object) -> str:
    versions = TEXTS[key]
    words = versions.get(language, versions["en"])
    return words.format(**values) if values else words


def setting_kinds(language: str) -> list[tuple[str, str]]:
    """The kinds of place, in the page's language."""
    if language == "cy":
        return [(value, SETTING_KINDS_CY[value]) for value, _ in SettingKind.choices]
    return list(SettingKind.choices)


def language_or_none(value: object) -> str | None:
    """A language asked for (?lang=cy, or the form's hidden field), if we speak it."""
    return value if isinstance(value, str) and value in LANGUAGES else None
