// Settings → Field mapping, live: previews the mapping on stored records as fields change, shows
// each problem next to its field, and keeps the form and the YAML view in step. The form works
// without this file (its Preview and Save buttons post); the server renders every fragment
// inserted here (escaped there), so nothing from the CRM is turned into markup in the browser.
(() => {
  var form = document.getElementById('mapping-form');
  var box = document.getElementById('mapping-preview-box');
  var yaml = document.getElementById('mapping-text');
  var summary = document.getElementById('mapping-errors');
  if (!form || !box || !form.querySelector('input[name="_csrf"]')) return;
  var url = form.getAttribute('data-preview-url');
  var source = form.getAttribute('data-source');
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var seq = 0;

  var listed = {};
  var list = document.getElementById('source-fields');
  if (list) {
    Array.prototype.forEach.call(list.options, (o) => {
      listed[o.value] = {
        type: o.getAttribute('data-type'),
        label: o.getAttribute('data-label'),
        valueType: o.getAttribute('data-value-type'),
      };
    });
  }
  var notListed = `not ${document.getElementById('mapping-fields-note').getAttribute('data-listed-by')}`;

  function hint(input) {
    var span = document.getElementById(input.id.replace(/-from-(\d+)$/, '-type-$1'));
    if (!span) return;
    var f = listed[input.value.trim()];
    span.textContent = !input.value.trim() ? '' : f ? (f.label === input.value.trim() ? f.type : `${f.type} · ${f.label}`) : notListed;
  }

  // A newly picked field suggests how to read it, when the row offers that type.
  function suggestType(input) {
    var f = listed[input.value.trim()];
    var row = input.closest('.map-row');
    var select = row?.querySelector('select.type');
    if (!f || !select || !/-from-0$/.test(input.id)) return;
    for (let i = 0; i < select.options.length; i++) if (select.options[i].value === f.valueType) select.value = f.valueType;
  }

  function rowKey(row) {
    var name = row.querySelector('.extra-name');
    if (name?.value.trim()) return `extras.${name.value.trim().replace(/^extras\./, '')}`;
    return row.getAttribute('data-row');
  }

  function showIssues(issues) {
    var byRow = {};
    var rows = form.querySelectorAll('.map-row');
    Array.prototype.forEach.call(rows, (row) => {
      byRow[rowKey(row)] = row;
      byRow[row.getAttribute('data-row')] = byRow[row.getAttribute('data-row')] || row;
      row.classList.remove('invalid');
      var p = row.querySelector('.field-error');
      p.textContent = '';
      p.hidden = true;
    });
    issues.forEach((issue) => {
      var row = issue.row && byRow[issue.row];
      if (!row) return;
      row.classList.add('invalid');
      var p = row.querySelector('.field-error');
      var span = document.createElement('span');
      span.textContent = `${issue.path}: ${issue.message} `;
      p.appendChild(span);
      p.hidden = false;
    });
    if (!summary) return;
    summary.textContent = '';
    summary.hidden = issues.length === 0;
    if (!issues.length) return;
    var strong = document.createElement('strong');
    strong.textContent = 'Not valid yet:';
    var ul = document.createElement('ul');
    issues.forEach((issue) => {
      var li = document.createElement('li');
      li.textContent = `${issue.path}: ${issue.message}`;
      ul.appendChild(li);
    });
    summary.appendChild(strong);
    summary.appendChild(ul);
  }

  function send(body, done) {
    var mine = ++seq;
    body.source = source;
    form.setAttribute('aria-busy', 'true');
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    })
      .then((res) =>
        res.json().then((data) => {
          if (!res.ok) throw new Error(data.message || `preview failed (HTTP ${res.status})`);
          return data;
        }),
      )
      .then((data) => {
        if (mine !== seq) return; // a later change is on its way
        showIssues(data.issues);
        box.innerHTML = data.ok
          ? data.preview
          : '<p class="card muted" id="mapping-preview" data-state="invalid">Fix the problems marked above to see the preview.</p>';
        done(data);
      })
      .catch((e) => {
        if (mine !== seq) return;
        box.textContent = `The preview is not available: ${e.message}`;
      })
      .then(() => {
        if (mine === seq) form.removeAttribute('aria-busy');
      });
  }

  function entries() {
    var out = [];
    new FormData(form).forEach((value, name) => {
      if (name !== '_csrf' && typeof value === 'string') out.push([name, value]);
    });
    return out;
  }

  var timer = null;
  var changed = null;
  function later(fn, ms) {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  }

  function onFormEdit(e) {
    var row = e.target.closest?.('.map-row');
    if (row) changed = rowKey(row);
    if (e.target.classList?.contains('pick')) {
      hint(e.target);
      if (e.type === 'change') suggestType(e.target);
    }
    later(
      () => {
        send({ entries: entries(), changed: changed }, (data) => {
          if (yaml && data.yaml !== null && document.activeElement !== yaml) yaml.value = data.yaml;
        });
      },
      e.type === 'change' ? 50 : 400,
    );
  }
  form.addEventListener('input', onFormEdit);
  form.addEventListener('change', onFormEdit);

  if (yaml && !yaml.readOnly) {
    yaml.addEventListener('input', () => {
      later(() => {
        send({ yaml: yaml.value }, (data) => {
          if (!data.form || form.contains(document.activeElement)) return;
          document.getElementById('mapping-form-rows').innerHTML = data.form;
          document.getElementById('mapping-base').value = data.base;
          addExtraButton();
        });
      }, 600);
    });
  }

  // Another blank extra row: a copy of the last blank one, numbered after the others.
  function addExtraButton() {
    var extras = document.getElementById('extras');
    if (!extras || extras.querySelector('.add-extra')) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary add-extra';
    button.textContent = 'Add an extra';
    button.addEventListener('click', () => {
      var blanks = extras.querySelectorAll('.map-row.extra');
      var last = blanks[blanks.length - 1];
      var from = last.getAttribute('data-extra');
      var to = String(blanks.length);
      var copy = last.cloneNode(true);
      copy.setAttribute('data-extra', to);
      copy.setAttribute('data-row', `x.${to}`);
      copy.id = `row-x-${to}`;
      Array.prototype.forEach.call(copy.querySelectorAll('[name],[id],[for],[aria-describedby]'), (el) => {
        ['name', 'id', 'for', 'aria-describedby'].forEach((a) => {
          var v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.split(`x.${from}.`).join(`x.${to}.`).split(`x-${from}-`).join(`x-${to}-`));
        });
        if (el.tagName === 'INPUT' && el.type !== 'hidden' && el.type !== 'checkbox') el.value = '';
      });
      var orig = copy.querySelector('input[type="hidden"]');
      if (orig) orig.parentNode.removeChild(orig);
      copy.querySelector('legend').textContent = 'New extra';
      extras.insertBefore(copy, button);
      copy.querySelector('.extra-name').focus();
    });
    extras.appendChild(button);
  }
  addExtraButton();
})();
