"""``mx.rnn``: recurrent cells that build symbols, sentence bucketing, rnn checkpoints."""
from .io import BucketSentenceIter, encode_sentences  # noqa: F401
from .rnn import (do_rnn_checkpoint, load_rnn_checkpoint, rnn_unroll,  # noqa: F401
                  save_rnn_checkpoint)
from .rnn_cell import (BaseRNNCell, BidirectionalCell, DropoutCell, FusedRNNCell,  # noqa: F401
                       GRUCell, LSTMCell, ModifierCell, ResidualCell, RNNCell, RNNParams,
                       SequentialRNNCell, ZoneoutCell)
from .conv_cells import BaseConvRNNCell, ConvGRUCell, ConvLSTMCell, ConvRNNCell  # noqa: F401
from . import io, rnn, rnn_cell  # noqa: F401,E402
