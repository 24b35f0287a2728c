# Source: devdastl/eva8_source -- "models/model_9.py" (commit 5a019dffd34edab80e2a50627f3946f89261e241);
#   EVA8 Session 9 "ULTIMUS" attention assignment on CIFAR-10; the assignment repo
#   devdastl/EVA-8_Phase-1_Assignment-9 links to this file.
# Student's torchsummary (devdastl/EVA-8_Phase-1_Assignment-9 README.md, "torch_summary output"):
#   "Total params: 25,488"
# Features: ATTENTION variant. Three UNPADDED 3x3 convs with NO BatchNorm and NO activation between
#   them (32->30->28->26); nn.AdaptiveAvgPool2d((1,1)) then torch.squeeze(X) (squeezes the batch axis
#   too when the batch has one image, so the forward pass CRASHES for batch size 1: the Ultimus .view()
#   gets a 1-D tensor); Ultimus blocks reshape with .view(x.shape[0] // patch_num, patch_num, 8),
#   attention per sample (8 x 8), Z.squeeze(); bias-free Linear layers; residual X_conv + output between
#   blocks; raw logits from a bias-free Linear(48, 10), no log_softmax. The student's own README reports
#   ~13% test accuracy.
import torch
import torch.nn as nn
import torch.nn.functional as F

class Ultimus(nn.Module):
    def __init__(self, input_neuron = 48, neuron_to_scale = 8, patch_num = 1):
        super(Ultimus, self).__init__()

        self.patch_num = patch_num
        self.neuron_to_scale = neuron_to_scale

        self.K = nn.Linear(input_neuron, neuron_to_scale, bias=False)
        self.Q = nn.Linear(input_neuron, neuron_to_scale, bias=False)
        self.V = nn.Linear(input_neuron, neuron_to_scale, bias=False)

        self.Out = nn.Linear(neuron_to_scale, input_neuron, bias=False)

    def forward(self, x):
        #reshaping first dimension as batch_size and patch_num
        K = self.K(x).view(x.shape[0] // self.patch_num, self.patch_num, self.neuron_to_scale)
        Q = self.Q(x).view(x.shape[0] // self.patch_num, self.patch_num, self.neuron_to_scale)
        V = self.V(x).view(x.shape[0] // self.patch_num, self.patch_num, self.neuron_to_scale)

        Q_tanspose = torch.transpose(Q, 1,2)

        AM = torch.matmul(Q_tanspose, K)/(self.neuron_to_scale**(0.5))
        AM = F.softmax(AM, dim=1)
        Z = torch.matmul(V, AM)

        out = self.Out(Z.squeeze())

        return out


class TransfromerAttention(nn.Module):
    def __init__(self, input_shape=32):
        super(TransfromerAttention, self).__init__()

        self.conv_block = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=0, stride=1, bias=False),
            nn.Conv2d(16, 32, kernel_size=3, padding=0, stride=1, bias=False),
            nn.Conv2d(32, 48, kernel_size=3, padding=0, stride=1, bias=False),
        )

        self.Final = nn.Linear(48, 10, bias=False)

        self.GAP = nn.AdaptiveAvgPool2d((1,1))

        self.ultimus_b1 = Ultimus()
        self.ultimus_b2 = Ultimus()
        self.ultimus_b3 = Ultimus()
        self.ultimus_b4 = Ultimus()

    def forward(self, x):
        x = self.conv_block(x)
        
        X = self.GAP(x)
        X_conv = torch.squeeze(X)

        #adding x_conv with the output of ultimus block and passing it to the next
        output = self.ultimus_b1(X_conv)
        output = self.ultimus_b2(X_conv + output)
        output = self.ultimus_b3(X_conv + output)
        output = self.ultimus_b4(X_conv + output)

        output = self.Final(output)

        return output


NETWORK = TransfromerAttention
SOURCE = "devdastl/eva8_source:models/model_9.py"
TORCHSUMMARY_TOTAL = 25488
