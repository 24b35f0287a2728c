"""A corpus of real students' networks for the "advanced convolutions on CIFAR-10" assignment
(EVA5 S7 / EVA8 S6 / ERA V1 S9 / ERA V4 S7: C1C2C3C4O, no MaxPool, depthwise separable + dilated
convs, GAP, RF > 44, < 200k params) and for its EVA8 S9 "ULTIMUS" attention follow-up, rebuilt layer by
layer from public GitHub repositories as standalone PyTorch files.

Each module holds one network, written as the student wrote it (quirks and rule breaks included), and
the constants NETWORK (the class, buildable with no arguments), SOURCE ("owner/name:path") and
TORCHSUMMARY_TOTAL (the "Total params" the student's own torchsummary printed). Where torchsummary's
figure is not the model's real trainable-parameter count (shared or unused submodules), the module
also sets TRAINABLE_PARAMS and says why. See README.md for the table.
"""

CORPUS = [
    "nviraj_assignment9",
    "tharunsivamani_s9",
    "nitinranjansharma_eva5_s7",
    "partha_goswami_eva8_s6",
    "rashitech_s9_dilated",
    "ak112_eva8_s6",
    "sunpau_era_v1_s9",
    "yuvaraj_venkataswamy_s9",
    "shubhamverma16_era_s9",
    "asravankumar_erav4_s7",
    "srinivaskolli45_s9_ultimus",
    "ojhajayant_eva8_s9_ultimus",
    "devdastl_eva8_s9_ultimus",
]
