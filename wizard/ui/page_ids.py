"""The wizard's pages by name: import-free, so a page can name another without importing the
window that holds them all."""

import enum


class PageId(enum.IntEnum):
    CONNECTION = 0
    ZOOM_APP = 1
    INTEGRATION = 2
    ACCOUNT = 3
    AUTHORIZATION = 4
    DONE = 5
    ACCOUNT_V3 = 6  # after DONE in number only: IntegrationPage.nextId chooses the account page
