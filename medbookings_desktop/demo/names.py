"""Built-in word lists for demo clinics: diverse given and family names, reasons and notes.

Made-up combinations of common names from many parts of the world; no external data and no
real people. Lists are comma-separated so that names may contain spaces ("de Vries").
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


FIRST_NAMES: tuple[str, ...] = _words(
    """
    Oliver, Amelia, George, Isla, Harry, Ava, Jack, Emily, Noah, Grace, Charlotte, James,
    Sophie, Thomas, Ella, William, Lucy, Samuel, Hannah, Daniel, Chloe, Matthew, Megan,
    Joshua, Olivia, Ethan, Madison, Ryan, Abigail, Tyler, Brooke, Connor, Jessica, Liam,
    Mia, Zoë, Ruth, Arthur, Siobhán, Aoife, Ciarán, Niamh, Eilidh, Callum, Rhys, Ffion,
    Seren, Sofía, Mateo, Lucía, Javier, José, Inès, Léa, Hugo, Chloé, Élodie, Lukas, Jonas,
    Anna, Lena, Jürgen, Søren, Ingrid, Astrid, Lars, Freya, Giulia, Marco, Francesca, Luca,
    Łukasz, Zofia, Agnieszka, Piotr, Ana, João, Beatriz, Tiago, Dimitri, Eleni, Nikos,
    Katarzyna, Tomáš, Ivana, Ngozi, Chinedu, Adaeze, Oluwaseun, Folake, Kwame, Ama, Kofi,
    Abena, Thandi, Sipho, Lerato, Themba, Amara, Zainab, Fatoumata, Moussa, Aisha, Tariq,
    Yaw, Imani, Wanjiru, Jomo, Desmond, Marcia, Omar, Layla, Yusuf, Fatima, Hassan, Mariam,
    Ali, Noor, Karim, Leila, Priya, Arjun, Ananya, Rohan, Deepika, Vikram, Aarav, Saanvi,
    Harpreet, Gurpreet, Imran, Ayesha, Bilal, Nadia, Farhan, Anjali, Ravi, Sunita, Wei, Mei,
    Jian, Xiu, Hiroshi, Yuki, Haruto, Sakura, Min-jun, Seo-yeon, Ji-woo, Linh, Minh, Thảo,
    Anh, Quang, Mai, Kai, Aroha, Tane, Malia, Rangi, Moana, Ariana, Bao, Lan, Hana, Kenji,
    Riya, Tamsin, Camila, Valentina, Santiago, Diego, Gabriela, Alejandro, Ximena, Joaquín,
    Mariana, Luis, Renata, Andrés
    """
)

LAST_NAMES: tuple[str, ...] = _words(
    """
    Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts,
    Walker, Wright, Robinson, Thompson, White, Hughes, Edwards, Green, Hall, Wood, Harris,
    Lewis, Martin, Jackson, Clarke, Clark, Turner, Hill, Scott, Cooper, Morris, Ward, Moore,
    King, Watson, Baker, Harrison, Morgan, Patel, Young, Allen, Mitchell, James, Anderson,
    Phillips, Lee, Bell, Parker, Davis, O'Brien, O'Connor, Ní Bhriain, MacDonald, McLeod,
    Fitzgerald, Adams, Okafor, Adeyemi, Okonkwo, Mensah, Asante, Boateng, Mokoena, Dlamini,
    Nkosi, Ndlovu, Diallo, Traoré, Kamau, Otieno, Haile, Tesfaye, Khan, Ahmed, Hussain, Ali,
    Rahman, Begum, Chowdhury, Shah, Sharma, Singh, Kaur, Gupta, Iyer, Nair, Reddy, Das,
    Mehta, Haddad, Nasser, Khoury, Yilmaz, Demir, Kaya, Cohen, Levi, Friedman, García,
    Rodríguez, Martínez, López, González, Pérez, Sánchez, Ramírez, Torres, Flores,
    Hernández, Silva, Santos, Oliveira, Costa, Pereira, Ferreira, Rossi, Russo, Bianchi,
    Romano, Esposito, Dubois, Lefèvre, Moreau, Girard, Müller, Schmidt, Schneider, Fischer,
    Weber, Becker, Jansen, de Vries, van der Berg, Bakker, Nielsen, Hansen, Jensen,
    Andersson, Johansson, Karlsson, Nowak, Kowalski, Wiśniewska, Novák, Horváth, Popescu,
    Ivanova, Petrov, Papadopoulos, Wang, Li, Zhang, Liu, Chen, Huang, Zhao, Wu, Lin, Sato,
    Suzuki, Takahashi, Tanaka, Watanabe, Kim, Park, Choi, Jung, Nguyễn, Trần, Lê, Phạm,
    Santos-Cruz, Reyes, Bautista, Te Whata, Ngata, Tuilagi, Fonoti, Begay, Yazzie, Tsosie
    """
)

CANCEL_REASONS: tuple[str, ...] = (
    "Patient unwell",
    "Clashes with work",
    "Feeling better",
    "Transport problems",
    "Childcare fell through",
    "Booked by mistake",
    "Moved to another clinic",
    "Provider unavailable",
    "Weather",
    "Patient asked to rebook later",
)

PATIENT_NOTES: tuple[str, ...] = (
    "Prefers morning appointments.",
    "Needs step-free access.",
    "Prefers a female clinician.",
    "Hard of hearing: speak clearly, face the patient.",
    "Interpreter needed.",
    "Allergic to penicillin.",
    "Anxious about needles.",
    "Call before 10:00 or after 16:00.",
    "Carer attends with the patient.",
)

APPOINTMENT_NOTES: tuple[str, ...] = (
    "Follow-up from last visit.",
    "Bring previous test results.",
    "Repeat prescription review.",
    "First visit.",
    "Travel vaccines.",
    "Annual review.",
)
