"""The first version of each consent document, in English and French.

Risks are those named in the clinical reference (SkinPen labelling, Dermapen 4 and
Amiea manuals, EMLA prescribing information, FDA 2007 advisory). A clinic publishes its
own wording as a new version.
"""

from __future__ import annotations

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("microneedling", "en"): (
        "Consent to medical microneedling (collagen induction therapy)",
        """I, {patient_name} (born {date_of_birth}), consent to medical microneedling at {clinic_name}.

What it is: a medical device with fine, sterile, single-use needles makes controlled micro-channels in the skin to stimulate collagen and elastin. Several sessions are usually needed, 6 to 8 weeks apart; maintenance may be advised 1 to 3 times a year.

Expected effects: redness and tightness for 24 to 48 hours; pinpoint bleeding during treatment; a few days of downtime depending on the depth used.

Risks, which I have had the chance to discuss: infection; scarring; hyperpigmentation or hypopigmentation (darker or lighter patches); prolonged redness or swelling; bruising; allergic reaction (to the needles' metal, the numbing cream or products applied); reactivation of cold sores (herpes simplex); acne flare or milia; results that differ from what I hoped.

I confirm that the health questionnaire I gave is complete and true, and that I will tell the clinic about any change (medication, pregnancy, cold sore, infection) before each session. I will follow the aftercare instructions. I may withdraw this consent at any time.""",
    ),
    ("microneedling", "fr"): (
        "Consentement au microneedling médical (thérapie par induction de collagène)",
        """Je, {patient_name} (né(e) le {date_of_birth}), consens au microneedling médical à {clinic_name}.

De quoi il s'agit : un dispositif médical muni d'aiguilles fines, stériles et à usage unique crée des microcanaux contrôlés dans la peau pour stimuler le collagène et l'élastine. Plusieurs séances sont habituellement nécessaires, à 6 à 8 semaines d'intervalle; un entretien peut être conseillé 1 à 3 fois par année.

Effets attendus : rougeur et tiraillement pendant 24 à 48 heures; petits saignements ponctuels pendant le traitement; quelques jours de convalescence selon la profondeur utilisée.

Risques, dont j'ai pu discuter : infection; cicatrices; hyperpigmentation ou hypopigmentation (taches plus foncées ou plus pâles); rougeur ou enflure prolongée; ecchymoses; réaction allergique (au métal des aiguilles, à la crème anesthésiante ou aux produits appliqués); réactivation de feux sauvages (herpès simplex); poussée d'acné ou milium; résultats différents de ceux espérés.

Je confirme que le questionnaire de santé que j'ai rempli est complet et exact, et que j'informerai la clinique de tout changement (médicament, grossesse, feu sauvage, infection) avant chaque séance. Je suivrai les consignes de soins après le traitement. Je peux retirer ce consentement en tout temps.""",
    ),
    ("numbing", "en"): (
        "Consent to topical numbing cream",
        """I, {patient_name} (born {date_of_birth}), consent to the application of a topical anaesthetic cream (such as lidocaine/prilocaine or lidocaine/tetracaine) before microneedling at {clinic_name}.

Risks: skin redness, paleness or itching; allergic reaction; rarely, serious effects on the heart or nervous system or methaemoglobinaemia when too much cream is used, on large areas, under occlusion or on broken skin. The clinic limits the amount and area used.

I have told the clinic about allergies (including to local anaesthetics, PABA or sulphonamides), liver disease, heart rhythm medication, pregnancy or breastfeeding.""",
    ),
    ("numbing", "fr"): (
        "Consentement à la crème anesthésiante topique",
        """Je, {patient_name} (né(e) le {date_of_birth}), consens à l'application d'une crème anesthésiante topique (comme lidocaïne/prilocaïne ou lidocaïne/tétracaïne) avant le microneedling à {clinic_name}.

Risques : rougeur, pâleur ou démangeaisons de la peau; réaction allergique; rarement, effets graves sur le cœur ou le système nerveux ou méthémoglobinémie lorsqu'une trop grande quantité de crème est utilisée, sur de grandes surfaces, sous occlusion ou sur une peau lésée. La clinique limite la quantité et la surface utilisées.

J'ai informé la clinique de mes allergies (y compris aux anesthésiques locaux, au PABA ou aux sulfamides), de toute maladie du foie, de médicaments pour le rythme cardiaque, d'une grossesse ou de l'allaitement.""",
    ),
    ("photography", "en"): (
        "Consent to clinical photography",
        """I, {patient_name} (born {date_of_birth}), consent to {clinic_name} taking photographs of the treated areas before, during and after my treatment course, to document results in my medical record. The photographs are kept confidential with my record and are not used for any other purpose without my separate written consent. I may withdraw this consent at any time; photographs already in my record remain part of it.""",
    ),
    ("photography", "fr"): (
        "Consentement à la photographie clinique",
        """Je, {patient_name} (né(e) le {date_of_birth}), consens à ce que {clinic_name} photographie les zones traitées avant, pendant et après mon traitement, afin de documenter les résultats dans mon dossier médical. Les photographies sont conservées de façon confidentielle avec mon dossier et ne servent à aucune autre fin sans mon consentement écrit distinct. Je peux retirer ce consentement en tout temps; les photographies déjà versées à mon dossier en font toujours partie.""",
    ),
}
