"""The words of the synthetic cohort: names, and what patients tell their referent."""

from __future__ import annotations

from shared.programmes import LOW_BACK_PAIN, RESPIRATORY

F_FIRST = ("Monique", "Françoise", "Martine", "Christiane", "Nicole", "Sylvie", "Catherine",
           "Brigitte", "Chantal", "Josiane", "Danielle", "Annie", "Isabelle", "Nathalie",
           "Véronique", "Sandrine", "Valérie", "Évelyne", "Odile", "Geneviève")
M_FIRST = ("Jean", "Michel", "Alain", "Bernard", "Gérard", "Daniel", "Patrick", "Jacques",
           "Claude", "Philippe", "Christian", "Serge", "Thierry", "Pascal", "Éric", "Laurent",
           "Olivier", "Stéphane", "René", "Joël")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
              "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Faure",
              "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
              "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine",
              "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Boyer", "Denis", "Lemaire")

DIFFICULTIES = {
    RESPIRATORY.code: ("Aucune", "Essoufflement en fin de séance", "Douleurs aux genoux",
                       "Fatigue en début de semaine", "Manque de temps (petits-enfants)",
                       "Motivation en baisse", "Selle inconfortable", "Moral bas avec la météo"),
    LOW_BACK_PAIN.code: ("Aucune", "Raideur matinale", "Douleur à la reprise des exercices",
                         "Manque de temps (travail)", "Appréhension du gainage",
                         "Motivation en baisse"),
}
BENEFITS = {
    RESPIRATORY.code: ("Moins essoufflé dans les escaliers", "Marche plus longue",
                       "Meilleur sommeil", "Plus d'énergie", "Reprise des courses à pied",
                       "Confiance retrouvée"),
    LOW_BACK_PAIN.code: ("Moins de douleur au lever", "Reprise du travail à mi-temps",
                         "Meilleure mobilité", "Moins d'antalgiques", "Sommeil moins haché"),
}
SESSION_NOTES = ("Bonne séance", "Un peu essoufflé à la fin", "Genou gauche sensible",
                 "Séance coupée par un appel", "Facile aujourd'hui", "Fatigué")
