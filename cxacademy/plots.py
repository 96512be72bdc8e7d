"""Show a lesson's figure together with a text description that a screen reader can read.

Why a helper and not ``plt.show()``: a figure shown by ``plt.show()`` is a bare PNG, with no
text anywhere. Where that text can live was checked against the installed tools: nbconvert's
*classic* HTML template writes the ``alt`` attribute from the output's ``image/png`` metadata,
but its *lab* template and JupyterLab 4's image renderer ignore that metadata. So
:func:`show` writes the description twice: as the image's ``alt`` metadata (for nbconvert and
any tool reading the saved notebook) and as a short markdown output directly below the image,
which every front end displays and every screen reader reads — and which sighted learners can
use as a caption that says what to look for.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from matplotlib.figure import Figure

from cxacademy.text import t

#: The metadata key nbconvert reads an image's alternative text from.
ALT_KEY = "alt"


def show(figure: Figure, description: str) -> None:
    """Display ``figure`` with ``description`` as its alt text and as a caption below it.

    The description says what the figure shows and what to notice (one sentence), not its title
    again. The figure is closed afterwards so the inline backend does not draw it a second time.
    """
    if not description.strip():
        raise ValueError("a figure needs a description: say in one sentence what it shows")
    display(figure, metadata={"image/png": {ALT_KEY: description}})
    display(Markdown(t("plot.description", description=description)))
    plt.close(figure)
