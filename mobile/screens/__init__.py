"""The screens: each a thin class here and its layout in the .kv file of the same name."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from mobile.screens.booklet import BookletScreen, ExerciseCard
from mobile.screens.corrections import CorrectionCard, CorrectionsScreen
from mobile.screens.event import EventScreen
from mobile.screens.guided import GuidedEndScreen, GuidedScreen
from mobile.screens.history import HistoryScreen
from mobile.screens.home import HomeScreen
from mobile.screens.importing import ImportScreen
from mobile.screens.manual import ManualScreen
from mobile.screens.messages import MessageCard, MessagesScreen
from mobile.screens.pairing import PairingScreen
from mobile.screens.questionnaires import QuestionnairesScreen
from mobile.screens.reviews import ReviewCard, ReviewsScreen
from mobile.screens.scan import ScanScreen
from mobile.screens.settings import SettingsScreen
from mobile.widgets.charts import BarChart, LineChart, WeekPicture
from mobile.widgets.fields import Field
from mobile.widgets.fold import Fold
from mobile.widgets.scale_row import ScaleRow
from mobile.widgets.stepper import Stepper

for _cls in (Field, Fold, Stepper, ScaleRow, BarChart, LineChart, WeekPicture, ExerciseCard,
             CorrectionCard, MessageCard, ReviewCard):
    Factory.register(_cls.__name__, cls=_cls)

# Name -> class (layouts in the .kv of the module), in the order they are added to the manager.
SCREENS: dict[str, type[Screen]] = {
    "pairing": PairingScreen,
    "scan": ScanScreen,
    "home": HomeScreen,
    "guided": GuidedScreen,
    "guided_end": GuidedEndScreen,
    "manual": ManualScreen,
    "import": ImportScreen,
    "booklet": BookletScreen,
    "event": EventScreen,
    "questionnaires": QuestionnairesScreen,
    "history": HistoryScreen,
    "messages": MessagesScreen,
    "reviews": ReviewsScreen,
    "corrections": CorrectionsScreen,
    "settings": SettingsScreen,
}
