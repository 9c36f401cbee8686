"""Pictures: learned kernels, feature maps, training curves, confusion matrices, filtered images.

Needs matplotlib and Pillow (`pip install -e '.[viz]'` in a clone of striate); nothing is
imported from them until a picture is drawn. Every function writes a PNG and returns its path.

Modules: backend (figures, saving, Pillow), grids (kernels, feature maps, bar charts),
curves (training curves), evaluation (confusion matrix, mistakes), convolution (classic
kernels on an image), page (the feature-map HTML page).
"""

from .backend import save_image
from .convolution import convolutions
from .curves import training_curves
from .evaluation import confusion, mistakes
from .grids import feature_maps, filters, vector
from .page import features_page

__all__ = ["save_image", "filters", "feature_maps", "vector", "training_curves", "confusion", "mistakes",
           "convolutions", "features_page"]
