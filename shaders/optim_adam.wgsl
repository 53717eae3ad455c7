    // Adam / AdamW. State slots: 2 exp_avg, 3 exp_avg_sq, 4 max_exp_avg_sq (amsgrad).
    // Flags: 2 = decoupled weight decay (AdamW), 4 = L2 weight decay (Adam).
    // Hyperparameters: 1 - lr * weight_decay, weight_decay, beta1, 1 - beta1, beta2, 1 - beta2,
    // sqrt(bias correction 2), eps, -lr / bias correction 1.
    if ((flags & 2u) != 0u) {
        p = p * hyper(0u);
    }
    if ((flags & 4u) != 0u) {
        g = g + p * hyper(1u);
    }
    let m = {{T}}(f32(exp_avg[offset(2u) + i]) * hyper(2u) + g * hyper(3u));
    let v = {{T}}(f32(exp_avg_sq[offset(3u) + i]) * hyper(4u) + (g * g) * hyper(5u));
    exp_avg[offset(2u) + i] = m;
    exp_avg_sq[offset(3u) + i] = v;
    {{SECOND_MOMENT}}
    let denom = sqrt(f32(second)) / hyper(6u) + hyper(7u);
    p = p + (f32(m) / denom) * hyper(8u);
