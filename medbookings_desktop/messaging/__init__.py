"""Patient and provider messages: what they say (render) and how they travel (vendor channels).

A channel takes an `OutgoingMessage` and returns the vendor's id for it, or raises
`DeliveryError` saying whether trying again can help. Vendor packages are imported here only,
so the window starts without them.
"""
