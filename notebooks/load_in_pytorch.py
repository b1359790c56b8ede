"""Loads a gornn model directory into PyTorch and classifies texts:

    python3 load_in_pytorch.py MODEL_DIR TEXT...
"""
import json, re, struct
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def read_safetensors(path):
    """The tensors of a .safetensors file: an 8-byte little-endian header size,
    a JSON header giving each tensor's dtype, shape and byte range, the data."""
    with open(path, "rb") as f:
        raw = f.read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    header.pop("__metadata__", None)
    data = raw[8 + size:]
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        begin, end = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return tensors


class GornnClassifier(nn.Module):
    """models.Classifier as PyTorch modules; its state_dict names are the
    tensor names of model.safetensors."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, H = cfg["embed_dim"], cfg["hidden_size"]
        self.embedding = nn.Embedding(cfg["vocab_size"], E, padding_idx=0)
        cell, extra = cfg["cell"], {}
        if cell.startswith("rnn_"):  # rnn_tanh, rnn_relu
            cell, extra = "rnn", {"nonlinearity": cell[4:]}
        layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = layer(E, H, num_layers=cfg["num_layers"], bidirectional=cfg["bidirectional"],
                         dropout=cfg["dropout"], batch_first=True, **extra)
        concat = cfg["bidirectional"] and cfg["merge"] == "concat"
        self.fc = nn.Linear(2 * H if concat else H, cfg["num_classes"])

    def merge(self, forward, reverse):
        return {"concat": lambda: torch.cat([forward, reverse], -1),
                "sum": lambda: forward + reverse,
                "mul": lambda: forward * reverse,
                "ave": lambda: (forward + reverse) / 2}[self.cfg["merge"]]()

    def forward(self, ids, lengths):
        """ids [B, T] padded with 0, lengths [B] -> logits [B, C]."""
        T = ids.shape[1]
        x = self.embedding(ids)
        if self.cfg["padded"]:  # the whole padded batch, as the lesson's first models
            out, state = self.rnn(x)
            lengths = torch.full_like(lengths, T)
        else:  # each row up to its own length
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        h = state[0] if isinstance(state, tuple) else state  # an LSTM's state is (h, c)
        if self.cfg["bidirectional"]:
            H = self.cfg["hidden_size"]
            out = self.merge(out[..., :H], out[..., H:])
        pooling = self.cfg["pooling"]
        if pooling == "last":  # the top layer's final states
            pooled = self.merge(h[-2], h[-1]) if self.cfg["bidirectional"] else h[-1]
        elif pooling == "mean":  # over each row's real tokens
            pooled = out.sum(1) / lengths[:, None]
        elif pooling == "max":
            real = torch.arange(T)[None, :] < lengths[:, None]
            pooled = out.masked_fill(~real[..., None], float("-inf")).amax(1)
        else:  # mean_all: over all T steps, padding included
            pooled = out.mean(1)
        return self.fc(pooled)


def basic_english(text):
    """torchtext's get_tokenizer("basic_english")."""
    text = text.lower()
    for pattern, replacement in [(r"'", " '  "), (r'"', ""), (r"\.", " . "), (r"<br \/>", " "),
                                 (r",", " , "), (r"\(", " ( "), (r"\)", " ) "), (r"!", " ! "),
                                 (r"\?", " ? "), (r";", " "), (r":", " "), (r"\s+", " ")]:
        text = re.sub(pattern, replacement, text)
    return text.split()


def load(model_dir):
    with open(f"{model_dir}/config.json") as f:
        cfg = json.load(f)
    with open(f"{model_dir}/vocab.txt", encoding="utf-8") as f:
        vocab = {token: i for i, token in enumerate(f.read().split("\n")[:-1])}
    model = GornnClassifier(cfg)
    model.load_state_dict(read_safetensors(f"{model_dir}/model.safetensors"))
    return model.eval(), vocab, cfg


def logits(model, vocab, cfg, texts):
    rows = [[vocab.get(t, 1) for t in basic_english(s)] or [1] for s in texts]  # 1 is <unk>
    if cfg["max_len"]:
        rows = [r[:cfg["max_len"]] for r in rows]
    lengths = torch.tensor([len(r) for r in rows])
    ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)  # 0 is <pad>
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
    with torch.no_grad():
        return model(ids, lengths)


if __name__ == "__main__":
    import sys
    model, vocab, cfg = load(sys.argv[1])
    texts = sys.argv[2:]
    for text, row in zip(texts, logits(model, vocab, cfg, texts)):
        values = " ".join(f"{v:.4f}" for v in row.tolist())
        print(f"{cfg['labels'][int(row.argmax())]:9} [{values}]  {text}")
