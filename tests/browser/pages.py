"""Small helpers the website page tests share: read a static explorer block, move its controls."""


def image(block) -> str:
    """The data URI of the image a static explorer shows now."""
    return block.locator("img.dlbx-img").get_attribute("src")


def readout(block) -> str:
    """The explorer's text readout (what a screen reader announces)."""
    return block.locator(".dlbx-readout").inner_text()


def nudge(page, slider) -> None:
    """Move a range input one step with the keyboard (towards the middle if it sits at an end)."""
    slider.focus()
    at_max = slider.input_value() == slider.get_attribute("max")
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
