/* The demo shop's own script: cart in localStorage, GA4 dataLayer pushes, a fake payment step.
   It knows nothing about Aisle beyond the optional aisle.track() call for ratings. */
(() => {
  const CURRENCY = 'EUR';
  window.dataLayer = window.dataLayer || [];
  const dataLayer = window.dataLayer;
  const push = (event, ecommerce) => {
    dataLayer.push({ ecommerce: null });
    dataLayer.push({ event, ecommerce });
  };
  const money = (n) => `€${n.toFixed(2)}`;
  const readCart = () => {
    try {
      return JSON.parse(localStorage.getItem('demo-cart') || '[]');
    } catch {
      return [];
    }
  };
  const writeCart = (cart) => {
    localStorage.setItem('demo-cart', JSON.stringify(cart));
    renderCount();
  };
  const total = (cart) => cart.reduce((sum, i) => sum + i.price * i.quantity, 0);
  const renderCount = () => {
    const el = document.getElementById('cart-count');
    if (el) el.textContent = String(readCart().reduce((n, i) => n + i.quantity, 0));
  };
  const $ = (id) => document.getElementById(id);
  renderCount();

  // Product page: add to cart, wishlist, share, rating.
  const product = window.shopProduct;
  if (product) {
    $('add')?.addEventListener('click', () => {
      const quantity = Math.max(1, Math.min(10, Number($('qty').value) || 1));
      const cart = readCart();
      const line = cart.find((i) => i.item_id === product.item_id);
      if (line) line.quantity += quantity;
      else cart.push({ ...product, quantity });
      writeCart(cart);
      push('add_to_cart', { currency: CURRENCY, value: product.price * quantity, items: [{ ...product, quantity }] });
      $('notice').textContent = 'Added to your cart.';
    });
    $('wish')?.addEventListener('click', () => {
      $('notice').textContent = 'Saved to your wishlist.';
    });
    $('share')?.addEventListener('click', () => {
      // gtag-style push, as sites using gtag.js make it.
      dataLayer.push(['event', 'share', { method: 'link', content_type: 'product', item_id: product.item_id }]);
      $('notice').textContent = 'Link copied.';
    });
    for (const star of document.querySelectorAll('.star')) {
      star.addEventListener('click', () => {
        const rating = Number(star.dataset.rating);
        if (window.aisle && typeof window.aisle.track === 'function') {
          window.aisle.track('review', { items: [product], rating });
        }
        $('notice').textContent = `Thanks for rating it ${rating} of 5.`;
      });
    }
  }

  // Cart page.
  const cartEl = $('cart');
  if (cartEl) {
    const render = () => {
      const cart = readCart();
      cartEl.innerHTML = '';
      if (!cart.length) cartEl.textContent = 'Your cart is empty.';
      for (const line of cart) {
        const row = document.createElement('div');
        row.className = 'line';
        row.innerHTML = '<span class="name"></span><span class="qty"></span><span class="price"></span>';
        row.querySelector('.name').textContent = line.item_name;
        row.querySelector('.qty').textContent = `× ${line.quantity}`;
        row.querySelector('.price').textContent = money(line.price * line.quantity);
        const remove = document.createElement('button');
        remove.textContent = 'Remove';
        remove.className = 'remove';
        // The button names its item: a cart line is not the page's product, so the row carries no data-aisle-item.
        remove.setAttribute('data-aisle-action', 'remove_from_cart');
        remove.setAttribute('data-aisle-item', line.item_id);
        remove.setAttribute('data-aisle-name', line.item_name);
        remove.setAttribute('data-aisle-category', line.item_category);
        remove.setAttribute('data-aisle-price', String(line.price));
        remove.setAttribute('data-aisle-quantity', String(line.quantity));
        remove.addEventListener('click', () => {
          writeCart(readCart().filter((i) => i.item_id !== line.item_id));
          render();
        });
        row.append(remove);
        cartEl.append(row);
      }
      $('cart-total').textContent = money(total(cart));
      $('checkout').disabled = !cart.length;
    };
    render();
    const cart = readCart();
    if (cart.length) push('view_cart', { currency: CURRENCY, value: total(cart), items: cart });
    $('checkout').addEventListener('click', () => {
      const current = readCart();
      push('begin_checkout', { currency: CURRENCY, value: total(current), items: current });
      location.href = '/demo/checkout';
    });
  }

  // Checkout: the payment outcome is decided here, as a payment provider's widget would.
  const form = $('checkout-form');
  if (form) {
    const cart = readCart();
    $('order-total').textContent = money(total(cart));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const method = String(data.get('method'));
      const missing = ['name', 'email', 'address'].filter((f) => !String(data.get(f) || '').trim());
      if (missing.length) {
        $('payment-error').textContent = `Please fill in: ${missing.join(', ')}.`;
        return;
      }
      push('add_payment_info', { currency: CURRENCY, value: total(cart), payment_type: method, items: cart });
      const card = String(data.get('card') || '').replace(/\D/g, '');
      if (method === 'credit_card' && (card.length < 12 || card.endsWith('0002'))) {
        dataLayer.push({ event: 'payment_failed', payment_type: method, value: total(cart), currency: CURRENCY });
        $('payment-error').textContent = 'Your card was declined. Try another card.';
        return;
      }
      const id = `ORD-${Date.now().toString(36).toUpperCase()}`;
      sessionStorage.setItem(`order-${id}`, JSON.stringify({ id, items: cart, value: total(cart) }));
      location.href = `/demo/order/${id}`;
    });
  }

  // Confirmation: report the purchase once, even if the page is reloaded.
  const orderId = $('order-id')?.textContent;
  if (orderId) {
    const key = `order-${orderId}`;
    const order = JSON.parse(sessionStorage.getItem(key) || 'null');
    if (order && !order.reported) {
      push('purchase', { transaction_id: order.id, currency: CURRENCY, value: order.value, items: order.items });
      sessionStorage.setItem(key, JSON.stringify({ ...order, reported: true }));
      writeCart([]);
    }
    if (order) $('order').textContent = `${order.items.length} product(s), ${money(order.value)}.`;
  }
})();
