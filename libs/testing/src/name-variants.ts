/**
 * Test inputs for sanctions screening: transformations of listed names that screening must still
 * catch, and ordinary names that it must not flag.
 */

const CYRILLIC_LOOKALIKE: Record<string, string> = {
  a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', y: 'у', i: 'і',
  A: 'А', B: 'В', E: 'Е', K: 'К', M: 'М', H: 'Н', O: 'О', P: 'Р', C: 'С', T: 'Т', X: 'Х', Y: 'У',
};

/** Every second letter that has a Cyrillic twin becomes that twin; the first O or o becomes a zero. */
export function lookalikeSpoof(name: string): string {
  let n = 0;
  let zeroed = false;
  return [...name]
    .map((ch) => {
      if (!zeroed && (ch === 'O' || ch === 'o')) {
        zeroed = true;
        return '0';
      }
      const twin = CYRILLIC_LOOKALIKE[ch];
      return twin && n++ % 2 === 0 ? twin : ch;
    })
    .join('');
}

const ACCENTED: Record<string, string> = { a: 'á', e: 'é', i: 'í', o: 'ö', u: 'ü', n: 'ñ', c: 'ç', s: 'ş', A: 'Á', E: 'É', I: 'Í', O: 'Ö', U: 'Ü', N: 'Ñ', C: 'Ç', S: 'Ş' };

/** Every letter that has an accented form gets it (as a list with diacritics would write it). */
export function withDiacritics(name: string): string {
  return [...name].map((ch) => ACCENTED[ch] ?? ch).join('');
}

/** "LAST, First Middle" → "First Middle LAST"; otherwise the words in reverse order. */
export function reorderName(name: string): string {
  const comma = name.indexOf(',');
  if (comma > 0) return `${name.slice(comma + 1).trim()} ${name.slice(0, comma).trim()}`;
  return name.split(/\s+/).reverse().join(' ');
}

/** Common given names across many cultures. */
export const ORDINARY_FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'William', 'Linda', 'David', 'Elizabeth', 'Thomas', 'Susan', 'Emma',
  'Oliver', 'Sophie', 'Lukas', 'Anna', 'Pierre', 'Camille', 'Giulia', 'Marco', 'Sofia', 'Carlos', 'Lucia', 'Javier', 'Ana', 'Pedro',
  'Jan', 'Eva', 'Piotr', 'Katarzyna', 'Olga', 'Sergei', 'Hiroshi', 'Yuki', 'Wei', 'Mei', 'Raj', 'Priya', 'Kwame', 'Amara', 'Sean',
  'Ingrid', 'Lars', 'Fatima', 'Omar', 'Leila', 'Yusuf', 'Noah', 'Chloe',
];

/** Common family names across many cultures. */
export const ORDINARY_LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Taylor', 'Anderson', 'Thompson', 'White', 'Harris',
  'Clark', 'Lewis', 'Walker', 'Young', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Campbell', 'Mitchell', 'Müller',
  'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Dubois', 'Lefebvre', 'Moreau', 'Rossi', 'Bianchi', 'Ferrari', 'Fernández', 'López',
  'Martínez', 'Sánchez', 'Pérez', 'Silva', 'Santos', 'Kowalski', 'Nowak', 'Novák', 'Jansen', 'de Vries', 'Andersson', 'Nielsen',
  'Virtanen', 'Tanaka', 'Suzuki', 'Sato', 'Kim', 'Park', 'Chen', 'Wang', 'Patel', 'Sharma', 'Singh', 'Mensah', 'Okafor', "O'Brien",
  'Murphy', 'Kelly', 'Costa', 'Yilmaz', 'Kaya', 'Haddad', 'Khoury', 'Cohen', 'Levi', 'Ivanova', 'Popescu', 'Horvat', 'Papadopoulos',
];

/** Ordinary company names. */
export const ORDINARY_COMPANIES = [
  'Acme Corp', 'Globex Corporation', 'Initech GmbH', 'Stark Industries', 'Wayne Enterprises', 'Umbrella Holdings Ltd', 'Northwind Traders',
  'Contoso Ltd', 'Fabrikam Inc', 'Tailspin Toys', 'Blue Yonder Airlines', 'Litware Inc', 'Adventure Works Cycles', 'Ørsted A/S',
  'Société Générale', 'Deutsche Bahn AG', 'Nordea Bank Abp', 'Royal Dutch Shell plc', 'Siemens AG', 'Nestlé S.A.', 'Unilever N.V.',
  'Tesco Stores Ltd', 'Marks and Spencer', 'Carrefour SA', 'Banco Santander', 'ING Groep', 'Rabobank', 'Volvo Cars', 'IKEA of Sweden',
  'Lego System A/S', 'Nokia Oyj', 'Heineken Brouwerijen', 'Philips Lighting', 'Bosch Rexroth', 'Airbus Operations SAS',
  'Green Valley Farms', 'Sunrise Bakery', 'Harbor Freight Tools', 'Pacific Coast Logistics', 'Metro Cleaning Services',
  'Riverside Dental Clinic', 'Blue Ocean Seafood Co', 'City Plumbing Supplies', 'Mountain View Realty', 'Golden Gate Catering',
];
