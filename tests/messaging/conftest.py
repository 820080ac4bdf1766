"""The local vendor fakes, for the channel tests."""

from tests.fakes.fixtures import sendgrid_fake, twilio_fake  # noqa: F401
